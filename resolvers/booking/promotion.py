"""Waitlist promotion: a freed seat goes to the first WAITING entry, in the same transaction.

Every path that frees or adds seats calls ``fill_from_waitlist`` while it holds the
session's ``session_seats`` row lock: a release's UPDATE (appointments.release_seats), or
the FOR UPDATE of ``fill_free_seats`` after a raised limit or a deleted vacation.
Joining the waitlist takes that lock too before it inserts, so entries get their ids, and
so their places in line, in the order promotion sees them: no entry is passed over by a
later one, and no seat is given twice. A promotion books like a booking does: the seat
counter's next queue number, a BOOKED appointment, an SMS, the ``appointment.booked``
webhook event; the entry's manage token then manages the appointment.

Only an OPEN session promotes (active schedule and doctor, booking window open, no
vacation): entries of a session whose booking has closed wait for the worker to expire
them, and a schedule deletion or a vacation's cancellations (which empty the session on
purpose) promote nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import (
    AppointmentStatus,
    DoctorStatus,
    NotificationChannel,
    WaitlistStatus,
    WebhookEvent,
)
from db.models import Account, Appointment, Schedule, SessionSeats, WaitlistEntry
from resolvers.booking.book import take_seat
from resolvers.booking.candidates import occurrence_on
from resolvers.booking.loaders import SessionFacts, session_facts
from resolvers.booking.manage_tokens import promoted_salt
from resolvers.booking.wording import describe_session
from resolvers.platform import messages
from resolvers.platform.calendar import SessionStatus, zone_of
from resolvers.platform.changes import SessionKey, announce
from resolvers.platform.outbox import enqueue, enqueue_webhook_events
from resolvers.platform.webhook_events import appointment_event


async def fill_from_waitlist(
    session: AsyncSession, *, schedule_id: int, day: date, booked: int, now: datetime
) -> list[Appointment]:
    """Book WAITING entries, first come first, into the session's free seats.

    ``booked`` is the seat count the caller's lock holds. Entries whose patient already
    holds a BOOKED place in the session are passed over (they expire with the rest).
    """
    line = await _first_waiting(session, schedule_id, day, booked)
    if not line:
        return []
    found = await _promotable_schedule(session, schedule_id)
    if found is None:
        return []
    schedule, doctor = found
    facts = (await session_facts(session, [schedule_id], day, day)).get(schedule_id, SessionFacts())
    current = occurrence_on(
        schedule, day, zone=zone_of(doctor), vacations=facts.vacations, booked=booked, now=now
    )
    if current.status is not SessionStatus.OPEN:
        return []
    free = len(line) if current.remaining is None else min(len(line), current.remaining)
    promoted = [
        await _promote(session, entry, schedule=schedule, doctor=doctor, now=now)
        for entry in line[:free]
    ]
    booked_now = [appointment for appointment in promoted if appointment is not None]
    await enqueue_webhook_events(
        session,
        [
            appointment_event(
                WebhookEvent.APPOINTMENT_BOOKED,
                appointment,
                schedule,
                doctor,
                fromWaitlist=True,
            )
            for appointment in booked_now
        ],
        now=now,
    )
    if booked_now:
        await announce(session, SessionKey(schedule_id, day))
    return booked_now


async def _first_waiting(
    session: AsyncSession, schedule_id: int, day: date, booked: int
) -> list[WaitlistEntry]:
    """As many of the line's first WAITING entries as there are free seats, locked (a leave
    or an expiry in flight waits). Usually none: then this is the only statement."""
    # LIMIT NULL is no limit: a schedule without a patient limit seats the whole line.
    # (Not GREATEST alone: it ignores a NULL and would answer 0.)
    seats = case(
        (Schedule.patient_limit.is_(None), null()),
        else_=func.greatest(Schedule.patient_limit - booked, 0),
    )
    free = select(seats).where(Schedule.id == schedule_id).scalar_subquery()
    already_booked = exists().where(
        Appointment.schedule_id == WaitlistEntry.schedule_id,
        Appointment.session_date == WaitlistEntry.session_date,
        Appointment.status == AppointmentStatus.BOOKED,
        Appointment.patient_phone == WaitlistEntry.patient_phone,
        func.lower(func.btrim(Appointment.patient_name))
        == func.lower(func.btrim(WaitlistEntry.patient_name)),
    )
    found = await session.scalars(
        select(WaitlistEntry)
        .where(
            and_(
                WaitlistEntry.schedule_id == schedule_id,
                WaitlistEntry.session_date == day,
                WaitlistEntry.status == WaitlistStatus.WAITING,
            ),
            ~already_booked,
        )
        .order_by(WaitlistEntry.id)
        .limit(free)
        .with_for_update(of=WaitlistEntry)
    )
    return list(found.all())


async def _promotable_schedule(
    session: AsyncSession, schedule_id: int
) -> tuple[Schedule, Account] | None:
    """The schedule and its doctor when both are active, held FOR SHARE like a booking's.

    SKIP LOCKED: a schedule edit, deletion or vacation in flight holds the row, and waiting
    for it while this transaction holds an appointment it may want would deadlock. The
    seat then stays free until the next release or a booking takes it.
    """
    row = (
        await session.execute(
            select(Schedule, Account)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(
                Schedule.id == schedule_id,
                Schedule.is_active,
                Account.status == DoctorStatus.ACTIVE,
            )
            .with_for_update(read=True, skip_locked=True, of=Schedule)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def _promote(
    session: AsyncSession,
    entry: WaitlistEntry,
    *,
    schedule: Schedule,
    doctor: Account,
    now: datetime,
) -> Appointment | None:
    seat = await take_seat(session, schedule, entry.session_date)
    if seat is None:
        return None  # the limit holds even if a caller miscounted
    queue_number, _ = seat
    appointment = Appointment(
        schedule_id=schedule.id,
        session_date=entry.session_date,
        queue_number=queue_number,
        patient_name=entry.patient_name,
        patient_age=entry.patient_age,
        patient_phone=entry.patient_phone,
        status=AppointmentStatus.BOOKED,
        # The entry's token, so the patient manages the booking with what they already hold.
        manage_token_hash=entry.manage_token_hash,
        manage_token_salt=promoted_salt(entry_id=entry.id, salt=entry.manage_token_salt),
        created_at=now,
    )
    session.add(appointment)
    await session.flush()
    entry.status = WaitlistStatus.PROMOTED
    entry.appointment_id = appointment.id
    enqueue(
        session,
        channel=NotificationChannel.SMS,
        recipient=entry.patient_phone,
        body=messages.fill(
            messages.PROMOTED,
            entry_id=entry.public_id,
            public_id=appointment.public_id,
            queue_number=queue_number,
            session=describe_session(schedule, doctor, entry.session_date),
        ),
        now=now,
    )
    return appointment


async def fill_free_seats(
    session: AsyncSession,
    *,
    schedule_ids: Sequence[int],
    now: datetime,
    first: date | None = None,
    last: date | None = None,
) -> list[Appointment]:
    """Promote into seats that became free without a release: a raised (or removed) patient
    limit, a deleted vacation. Each session with a line is locked on its seat row first, as a
    release locks it, in (schedule, date) order.
    """
    query = (
        select(WaitlistEntry.schedule_id, WaitlistEntry.session_date)
        .where(
            WaitlistEntry.schedule_id.in_(list(schedule_ids)),
            WaitlistEntry.status == WaitlistStatus.WAITING,
        )
        .distinct()
        .order_by(WaitlistEntry.schedule_id, WaitlistEntry.session_date)
    )
    if first is not None:
        query = query.where(WaitlistEntry.session_date >= first)
    if last is not None:
        query = query.where(WaitlistEntry.session_date <= last)
    promoted: list[Appointment] = []
    for schedule_id, day in (await session.execute(query)).all():
        booked = await session.scalar(
            select(SessionSeats.booked_count)
            .where(SessionSeats.schedule_id == schedule_id, SessionSeats.session_date == day)
            .with_for_update()
        )
        if booked is not None:  # else nobody ever booked it, so nobody can be waiting
            promoted += await fill_from_waitlist(
                session, schedule_id=schedule_id, day=day, booked=booked, now=now
            )
    return promoted
