"""What the session day tells patients (SMS through the outbox) and clinics (webhooks).

Each message has a de-duplication key naming its appointment and reason, so a
repeated or raced action queues it once (resolvers/platform/outbox.py); an action's
messages go in one statement. They are not tied to the appointment's BOOKED state (the
outbox's ``appointment_id``): they are about a session that has begun.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, NotificationChannel, WebhookEvent
from db.models import Account, Appointment, LiveSession, Schedule
from resolvers.booking.appointments import describe_session
from resolvers.live.estimates import STILL_TO_SEE, QueueEntry, position
from resolvers.platform import messages
from resolvers.platform.outbox import (
    OnceMessage,
    WebhookEventDraft,
    enqueue_each_once,
    enqueue_webhook_events,
)
from resolvers.platform.webhook_events import appointment_event, doctor_data

# A change of the announced delay smaller than this is not worth an SMS.
DELAY_NOTICE_MINUTES = 15
# "You are third in line": at most this many patients ahead.
THIRD_IN_LINE_AHEAD = 2


async def _session_appointments(
    session: AsyncSession, live: LiveSession, statuses: Sequence[AppointmentStatus]
) -> list[Appointment]:
    found = await session.scalars(
        select(Appointment)
        .where(
            Appointment.schedule_id == live.schedule_id,
            Appointment.session_date == live.session_date,
            Appointment.status.in_(statuses),
        )
        .order_by(Appointment.queue_number)
    )
    return list(found.all())


async def tell_started(
    session: AsyncSession, live: LiveSession, schedule: Schedule, doctor: Account, *, now: datetime
) -> None:
    """Every BOOKED patient: the session has started (once each)."""
    where = describe_session(schedule, doctor, live.session_date)
    booked = await _session_appointments(session, live, [AppointmentStatus.BOOKED])
    await enqueue_each_once(
        session,
        [
            _sms(
                f"started:{appointment.id}",
                appointment.patient_phone,
                messages.fill(
                    messages.SESSION_STARTED,
                    session=where,
                    public_id=appointment.public_id,
                    queue_number=appointment.queue_number,
                ),
            )
            for appointment in booked
            if appointment.patient_phone is not None
        ],
        now=now,
    )


def _sms(dedup_key: str, recipient: str, body: str) -> OnceMessage:
    return OnceMessage(dedup_key, NotificationChannel.SMS, recipient, body)


async def tell_delay(
    session: AsyncSession,
    live: LiveSession,
    schedule: Schedule,
    doctor: Account,
    *,
    before: int,
    now: datetime,
) -> None:
    """Every BOOKED patient, when the delay moved by DELAY_NOTICE_MINUTES or more (once per
    appointment and delay); and the clinic's webhooks whenever it changed at all."""
    if live.delay_minutes == before:
        return
    await enqueue_webhook_events(session, [delayed_event(live, schedule, doctor, before)], now=now)
    if abs(live.delay_minutes - before) < DELAY_NOTICE_MINUTES:
        return
    where = describe_session(schedule, doctor, live.session_date)
    queued: list[OnceMessage] = []
    for appointment in await _session_appointments(session, live, [AppointmentStatus.BOOKED]):
        if appointment.patient_phone is None:
            continue
        values: dict[str, str | int] = {
            "session": where,
            "public_id": appointment.public_id,
            "queue_number": appointment.queue_number,
        }
        if live.delay_minutes == 0:
            template = messages.BACK_ON_TIME
        elif live.notice:
            template = messages.DELAYED_WITH_NOTICE
            values |= {"minutes": live.delay_minutes, "notice": live.notice}
        else:
            template = messages.DELAYED
            values["minutes"] = live.delay_minutes
        queued.append(
            _sms(
                f"delay:{appointment.id}:{live.delay_minutes}",
                appointment.patient_phone,
                messages.fill(template, **values),
            )
        )
    await enqueue_each_once(session, queued, now=now)


async def tell_third_in_line(
    session: AsyncSession, live: LiveSession, schedule: Schedule, *, now: datetime
) -> None:
    """Whoever waits with at most two ahead of them, once per appointment."""
    waiting = await _session_appointments(
        session, live, [*STILL_TO_SEE, AppointmentStatus.IN_CONSULTATION]
    )
    queue = [QueueEntry(item.queue_number, item.status) for item in waiting]
    place = schedule.clinic_name or schedule.medical_shop or ""
    queued: list[OnceMessage] = []
    for appointment in waiting:
        ahead = position(appointment.status, appointment.queue_number, queue, ended=False)
        if (
            appointment.status not in STILL_TO_SEE
            or appointment.patient_phone is None
            or ahead is None
            or ahead > THIRD_IN_LINE_AHEAD
        ):
            continue
        queued.append(
            _sms(
                f"third:{appointment.id}",
                appointment.patient_phone,
                messages.fill(
                    messages.THIRD_IN_LINE,
                    queue_number=appointment.queue_number,
                    public_id=appointment.public_id,
                    place=place,
                    ahead=ahead,
                ),
            )
        )
    await enqueue_each_once(session, queued, now=now)


def delayed_event(
    live: LiveSession, schedule: Schedule, doctor: Account, before: int
) -> WebhookEventDraft:
    """session.delayed: which session, by how much now and before, and the doctor's notice."""
    return WebhookEventDraft(
        event=WebhookEvent.SESSION_DELAYED,
        doctor_id=doctor.id,
        data={
            "session": {
                "scheduleId": str(schedule.id),
                "date": live.session_date.isoformat(),
                "startTime": schedule.start_time.isoformat(timespec="minutes"),
                "clinicName": schedule.clinic_name,
                "address": schedule.address,
            },
            "delayMinutes": live.delay_minutes,
            "previousDelayMinutes": before,
            "notice": live.notice,
            "doctor": doctor_data(doctor),
        },
    )


def status_changes(
    changed: Sequence[tuple[Appointment, AppointmentStatus]], schedule: Schedule, doctor: Account
) -> list[WebhookEventDraft]:
    """appointment.status_changed for each (appointment, its previous status)."""
    return [
        appointment_event(
            WebhookEvent.APPOINTMENT_STATUS_CHANGED,
            appointment,
            schedule,
            doctor,
            previousStatus=previous.value,
        )
        for appointment, previous in changed
    ]
