"""The doctor runs a session: start it, announce a delay, call the next patient, end it.

Each action is one transaction: the doctor's lock, the session's live row (locked),
the change, its messages and webhooks, and the NOTIFY of the session's key, which
listeners hear only once it commits. A refusal keeps nothing and notifies no one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, LiveState
from db.models import Account, Appointment
from resolvers.live.access import OwnSession, own_session
from resolvers.live.notices import (
    status_changes,
    tell_delay,
    tell_started,
    tell_third_in_line,
)
from resolvers.live.results import (
    AnnounceDelayResult,
    Called,
    CallNextResult,
    EndSessionResult,
    LiveSessionChanged,
    QueueEmpty,
    StartSessionResult,
)
from resolvers.platform.calendar import SessionStatus, today_in
from resolvers.platform.changes import announce
from resolvers.platform.errors import FieldProblem, NotAllowed, Problems, ValidationFailed
from resolvers.platform.outbox import enqueue_webhook_events
from resolvers.platform.text import single_line

MAX_DELAY_MINUTES = 720
MAX_NOTICE = 280


async def start_session(
    *, session: AsyncSession, doctor: Account, schedule_id: int, day: date, now: datetime
) -> StartSessionResult:
    """NOT_STARTED -> RUNNING on the session's day; BOOKED patients are told (once each).

    Starting a running session again changes nothing and answers its board.
    """
    own = await own_session(session, doctor=doctor, schedule_id=schedule_id, day=day, now=now)
    if not isinstance(own, OwnSession):
        return own
    refusal = own.cannot_start(now)
    if refusal is not None:
        return await own.refuse(session, refusal)
    live = own.live
    changed = live.state is LiveState.NOT_STARTED
    if changed:
        live.state = LiveState.RUNNING
        live.started_at = now
        live.updated_at = now
        await tell_started(session, live, own.schedule, own.doctor, now=now)
        await tell_third_in_line(session, live, own.schedule, now=now)
        await announce(session, own.key)
    return LiveSessionChanged(await own.finish(session, changed=changed))


def _checked_delay(minutes: int, notice: str | None) -> tuple[int, str | None] | ValidationFailed:
    problems = Problems()
    if not 0 <= minutes <= MAX_DELAY_MINUTES:
        problems.add(
            "minutes", FieldProblem.OUT_OF_RANGE, f"Between 0 and {MAX_DELAY_MINUTES} minutes."
        )
    text = single_line(notice or "") or None
    if text is not None and len(text) > MAX_NOTICE:
        problems.add("notice", FieldProblem.TOO_LONG, f"At most {MAX_NOTICE} characters.")
    failed = problems.result()
    return failed if failed is not None else (minutes, text)


async def announce_delay(
    *,
    session: AsyncSession,
    doctor: Account,
    schedule_id: int,
    day: date,
    minutes: int,
    notice: str | None,
    now: datetime,
) -> AnnounceDelayResult:
    """Set the announced delay (0 clears it, and its notice) from the moment booking opens
    until the session ends; BOOKED patients are told of a change of 15 minutes or more."""
    checked = _checked_delay(minutes, notice)
    if isinstance(checked, ValidationFailed):
        return checked
    own = await own_session(session, doctor=doctor, schedule_id=schedule_id, day=day, now=now)
    if not isinstance(own, OwnSession):
        return own
    refusal = _cannot_delay(own, now)
    if refusal is not None:
        return await own.refuse(session, refusal)
    live = own.live
    before = live.delay_minutes
    minutes, text = checked
    changed = (live.delay_minutes, live.notice) != (minutes, text if minutes else None)
    if changed:
        live.delay_minutes = minutes
        live.notice = text if minutes else None
        live.updated_at = now
        await tell_delay(session, live, own.schedule, own.doctor, before=before, now=now)
        await announce(session, own.key)
    return LiveSessionChanged(await own.finish(session, changed=changed))


def _cannot_delay(own: OwnSession, now: datetime) -> NotAllowed | None:
    if not own.schedule.is_active:
        return NotAllowed("This schedule is no longer active.")
    if own.occurrence.status is SessionStatus.ON_VACATION:
        return NotAllowed("You are on vacation on this date.")
    if own.live.state is LiveState.ENDED:
        return NotAllowed("This session has ended.")
    if now < own.occurrence.times.opens_at:
        return NotAllowed("A delay can be announced once booking for the session has opened.")
    if today_in(own.zone, now) > own.day:
        return NotAllowed("This session's day is over.")
    return None


async def call_next(
    *, session: AsyncSession, doctor: Account, schedule_id: int, day: date, now: datetime
) -> CallNextResult:
    """The patient inside is done (COMPLETED); the lowest ARRIVED number is called in.

    Under the session's lock, so two calls at once call two patients one after the
    other, never one patient twice. With nobody ARRIVED: QueueEmpty (the patient who
    was inside is done all the same).
    """
    own = await own_session(session, doctor=doctor, schedule_id=schedule_id, day=day, now=now)
    if not isinstance(own, OwnSession):
        return own
    live = own.live
    if live.state is not LiveState.RUNNING:
        why = "This session has ended." if live.state is LiveState.ENDED else "Start it first."
        return await own.refuse(session, NotAllowed(why))
    changed: list[tuple[Appointment, AppointmentStatus]] = []
    inside = await _in_consultation(session, own)
    if inside is not None:
        inside.status = AppointmentStatus.COMPLETED
        inside.completed_at = now
        changed.append((inside, AppointmentStatus.IN_CONSULTATION))
        # The unique "one in consultation" index is checked per statement: done first.
        await session.flush()
    called = await session.scalar(
        select(Appointment)
        .where(
            Appointment.schedule_id == own.schedule.id,
            Appointment.session_date == own.day,
            Appointment.status == AppointmentStatus.ARRIVED,
        )
        .order_by(Appointment.queue_number)
        .limit(1)
        .with_for_update()
    )
    if called is not None:
        called.status = AppointmentStatus.IN_CONSULTATION
        called.called_at = now
        changed.append((called, AppointmentStatus.ARRIVED))
    live.now_serving = None if called is None else called.queue_number
    if changed:
        live.updated_at = now
        await enqueue_webhook_events(
            session, status_changes(changed, own.schedule, own.doctor), now=now
        )
        await session.flush()
        await tell_third_in_line(session, live, own.schedule, now=now)
        await announce(session, own.key)
    board = await own.finish(session, changed=bool(changed))
    return QueueEmpty(board) if called is None else Called(appointment=called, live=board)


async def _in_consultation(session: AsyncSession, own: OwnSession) -> Appointment | None:
    return await session.scalar(
        select(Appointment)
        .where(
            Appointment.schedule_id == own.schedule.id,
            Appointment.session_date == own.day,
            Appointment.status == AppointmentStatus.IN_CONSULTATION,
        )
        .with_for_update()
    )


async def end_session(
    *, session: AsyncSession, doctor: Account, schedule_id: int, day: date, now: datetime
) -> EndSessionResult:
    """RUNNING -> ENDED: the patient inside is done, everyone still BOOKED is a NO_SHOW;
    ARRIVED patients never called stay ARRIVED. Ending an ended session changes nothing."""
    own = await own_session(session, doctor=doctor, schedule_id=schedule_id, day=day, now=now)
    if not isinstance(own, OwnSession):
        return own
    live = own.live
    if live.state is LiveState.NOT_STARTED:
        return await own.refuse(session, NotAllowed("This session has not started."))
    ending = live.state is not LiveState.ENDED
    if ending:
        changed: list[tuple[Appointment, AppointmentStatus]] = []
        inside = await _in_consultation(session, own)
        if inside is not None:
            inside.status = AppointmentStatus.COMPLETED
            inside.completed_at = now
            changed.append((inside, AppointmentStatus.IN_CONSULTATION))
        absent = await session.scalars(
            select(Appointment)
            .where(
                Appointment.schedule_id == own.schedule.id,
                Appointment.session_date == own.day,
                Appointment.status == AppointmentStatus.BOOKED,
            )
            .order_by(Appointment.queue_number)
            .with_for_update()
        )
        for appointment in absent.all():
            appointment.status = AppointmentStatus.NO_SHOW
            changed.append((appointment, AppointmentStatus.BOOKED))
        live.state = LiveState.ENDED
        live.ended_at = now
        live.now_serving = None
        live.updated_at = now
        await enqueue_webhook_events(
            session, status_changes(changed, own.schedule, own.doctor), now=now
        )
        await announce(session, own.key)
    return LiveSessionChanged(await own.finish(session, changed=ending))
