"""The evening-before reminder: when one is due, and the worker's step that queues due ones.

Every BOOKED appointment gets one SMS at 18:00 on the doctor's wall clock the evening
before its session, or at the worker's next poll when it was booked after that; never
once its session has begun. The rule is read from the appointment, however it was made
(booking, a waitlist promotion, a reschedule, a walk-in), so nothing that creates
appointments has to remember reminders.

Each poll queues the reminders that have come due, with the text as it is then, under
the key ``reminder:<appointment id>``: one INSERT ... ON CONFLICT DO NOTHING on the
outbox's unique key, so two workers (or a worker retrying after a crash) queue each
reminder once. The same transaction stamps the appointment's ``reminder_queued_at``,
which takes it out of the scan's partial index: the scan reads only appointments still
waiting for a reminder, of the day or two one can be due for. The outbox then sends it
like any message, and checks again just before sending that the appointment is still
BOOKED and its session has not begun (resolvers/messaging/delivery.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, ScalarSelect, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, AppointmentStatus, NotificationChannel
from db.models import Account, Appointment, Schedule
from resolvers.booking.appointments import describe_session
from resolvers.platform import messages
from resolvers.platform.calendar import local_instant
from resolvers.platform.outbox import OnceMessage, enqueue_each_once

REMINDER_TIME = time(18, 0)
KEY_PREFIX = "reminder:"
BATCH_SIZE = 100
# The reminder is due from 18:00 the evening before: once the doctor's wall clock,
# moved on by this much, shows the session's date.
_EVENING_TO_MIDNIGHT = timedelta(hours=24 - REMINDER_TIME.hour)


def reminder_key(appointment_id: int) -> str:
    return f"{KEY_PREFIX}{appointment_id}"


def reminder_at(day: date, zone: ZoneInfo) -> datetime:
    """18:00 on the doctor's wall clock the day before the session, as an instant (UTC)."""
    return local_instant(day - timedelta(days=1), REMINDER_TIME, zone)


def reminder_due(*, day: date, start: time, zone: ZoneInfo, now: datetime) -> bool:
    """Whether a BOOKED appointment's reminder should go at ``now``: after 18:00 the evening
    before (a later booking is reminded at once) and before the session begins."""
    return reminder_at(day, zone) <= now < local_instant(day, start, zone)


def _due_dates(now: datetime) -> tuple[ScalarSelect[date], ScalarSelect[date]]:
    """The first and last session date a reminder can be due for at ``now``, over the zones
    doctors are in: from the earliest "today" (an earlier session has begun) to the latest
    date whose evening before has come. Computed by the database, in the statement."""
    zones = (
        select(Account.time_zone).where(Account.role == AccountRole.DOCTOR).distinct().subquery()
    )
    wall_clock = func.timezone(zones.c.time_zone, now)
    bounds = select(
        func.min(cast(wall_clock, Date)).label("first"),
        func.max(cast(wall_clock + _EVENING_TO_MIDNIGHT, Date)).label("last"),
    ).cte("due_dates")  # read twice, computed once
    first = select(bounds.c.first).scalar_subquery()
    last = select(bounds.c.last).scalar_subquery()
    return first, last


async def queue_due_reminders(
    *, session: AsyncSession, now: datetime, batch_size: int = BATCH_SIZE
) -> int:
    """Queue up to batch_size reminders that have come due, in one transaction; how many.

    One statement finds them: BOOKED appointments with no reminder queued yet (the
    partial index holds only those), in the session dates ``_due_dates`` allows, whose
    evening before has passed and whose session has not begun in the doctor's zone.
    One more queues them, one marks them queued. They are locked FOR NO KEY UPDATE
    SKIP LOCKED: two workers take different ones, and an appointment another
    transaction is changing right now (a cancellation) is left for the next poll; a
    cancellation that comes after waits only for this short transaction.
    """
    first, last = _due_dates(now)
    zone = Account.time_zone
    evening_before = func.timezone(zone, (Appointment.session_date - 1) + REMINDER_TIME)
    # PostgreSQL reads a wall time a DST change repeats as the later instant, Python's
    # fold=0 as the earlier: the check before sending holds the exact rule.
    session_start = func.timezone(zone, Appointment.session_date + Schedule.start_time)
    found = (
        await session.execute(
            select(Appointment, Schedule, Account)
            .join(Schedule, Schedule.id == Appointment.schedule_id)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.reminder_queued_at.is_(None),
                Appointment.patient_phone.is_not(None),  # a walk-in may have given none
                Appointment.session_date.between(first, last),
                evening_before <= now,
                session_start > now,
            )
            .limit(batch_size)
            .with_for_update(of=Appointment, key_share=True, skip_locked=True)
        )
    ).all()
    if not found:
        await session.commit()
        return 0
    reminders = [
        OnceMessage(
            dedup_key=reminder_key(appointment.id),
            channel=NotificationChannel.SMS,
            recipient=appointment.patient_phone or "",  # never empty: see the WHERE
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
    # The key is what guarantees "once"; the mark only keeps the next scans small.
    added = await enqueue_each_once(session, reminders, now=now)
    await session.execute(
        update(Appointment)
        .where(Appointment.id.in_([appointment.id for appointment, _, _ in found]))
        # Not a change of the booking: updated_at stays as it was.
        .values(reminder_queued_at=now, updated_at=Appointment.updated_at)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return len(added)
