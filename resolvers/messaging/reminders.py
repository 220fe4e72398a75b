"""The evening-before reminder: when one is due, and the worker's step that queues due ones.

Every BOOKED appointment gets one SMS at 18:00 on the doctor's wall clock the evening
before its session, or at the worker's next poll when it was booked after that; never
once its session has begun. The rule is read from the appointment, however it was made
(booking, a waitlist promotion, a reschedule, a walk-in), so nothing that creates
appointments has to remember reminders.

Each poll queues the reminders that have come due, with the text as it is then, under
the key ``reminder:<appointment id>``: one INSERT ... ON CONFLICT DO NOTHING on the
outbox's unique key, so two workers (or a worker retrying after a crash) queue each
reminder once. The outbox then sends it like any message, and checks again just before
sending that the appointment is still BOOKED (resolvers/messaging/delivery.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, NotificationChannel
from db.models import Account, Appointment, Notification, Schedule
from resolvers.booking.appointments import describe_session
from resolvers.platform import messages
from resolvers.platform.calendar import local_instant
from resolvers.platform.outbox import OnceMessage, enqueue_each_once

REMINDER_TIME = time(18, 0)
KEY_PREFIX = "reminder:"
BATCH_SIZE = 100
# Wall clocks run from UTC-12 to UTC+14. A reminder is due once the evening before has
# come (so the session date is at most the doctor's today + 1, at most 20 h ahead of UTC's
# clock) and before the session begins (so it is at least the doctor's today, at least
# 12 h behind UTC's): the range of session dates every zone's due reminders lie in.
_AHEAD = timedelta(hours=14 + 24 - REMINDER_TIME.hour)
_BEHIND = timedelta(hours=12)


def reminder_key(appointment_id: int) -> str:
    return f"{KEY_PREFIX}{appointment_id}"


def reminder_at(day: date, zone: ZoneInfo) -> datetime:
    """18:00 on the doctor's wall clock the day before the session, as an instant (UTC)."""
    return local_instant(day - timedelta(days=1), REMINDER_TIME, zone)


def reminder_due(*, day: date, start: time, zone: ZoneInfo, now: datetime) -> bool:
    """Whether a BOOKED appointment's reminder should go at ``now``: after 18:00 the evening
    before (a later booking is reminded at once) and before the session begins."""
    return reminder_at(day, zone) <= now < local_instant(day, start, zone)


def session_dates_due(now: datetime) -> tuple[date, date]:
    """The first and last session date any time zone can have a reminder due for at ``now``."""
    return (now - _BEHIND).date(), (now + _AHEAD).date()


async def queue_due_reminders(
    *, session: AsyncSession, now: datetime, batch_size: int = BATCH_SIZE
) -> int:
    """Queue up to batch_size reminders that have come due, in one transaction; how many.

    One statement finds them (BOOKED, in the dates ``session_dates_due`` allows, the
    evening before passed and the session not begun in the doctor's zone, no reminder
    queued yet), one more queues them. The appointments are held FOR KEY SHARE, which
    is what the outbox's foreign key takes anyway, so a cancellation in flight waits
    for this short transaction rather than the reverse; appointments another
    transaction is changing right now are skipped and looked at again next poll.
    """
    first, last = session_dates_due(now)
    zone = Account.time_zone
    evening_before = func.timezone(zone, (Appointment.session_date - 1) + REMINDER_TIME)
    # PostgreSQL reads a wall time a DST change repeats as the later instant, Python's
    # fold=0 as the earlier: the check before sending holds the exact rule.
    session_start = func.timezone(zone, Appointment.session_date + Schedule.start_time)
    queued = exists().where(
        Notification.dedup_key == literal(KEY_PREFIX) + cast(Appointment.id, String)
    )
    found = (
        await session.execute(
            select(Appointment, Schedule, Account)
            .join(Schedule, Schedule.id == Appointment.schedule_id)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.session_date.between(first, last),
                evening_before <= now,
                session_start > now,
                ~queued,
            )
            .order_by(Appointment.id)
            .limit(batch_size)
            .with_for_update(of=Appointment, read=True, key_share=True, skip_locked=True)
        )
    ).all()
    reminders = [
        OnceMessage(
            dedup_key=reminder_key(appointment.id),
            channel=NotificationChannel.SMS,
            recipient=appointment.patient_phone,
            body=messages.fill(
                messages.REMINDER,
                public_id=appointment.public_id,
                queue_number=appointment.queue_number,
                session=describe_session(schedule, doctor, appointment.session_date),
            ),
            appointment_id=appointment.id,
        )
        for appointment, schedule, doctor in found
    ]
    added = await enqueue_each_once(session, reminders, now=now)
    await session.commit()
    return len(added)
