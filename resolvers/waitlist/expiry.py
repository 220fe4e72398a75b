"""Expiry: entries still WAITING when their session's booking closes become EXPIRED.

The outbox worker runs this each poll. Closing times are the booking rules' own
(resolvers/platform/calendar.py, in the doctor's time zone, DST included), computed in
Python for the few entries whose session is near; the database only narrows the search.
Idempotent: an entry expires once, whichever worker gets to it (rows are claimed with
SKIP LOCKED, so a promotion or a leave in flight is left to finish).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel, WaitlistStatus
from db.models import Account, Schedule, WaitlistEntry
from resolvers.booking.candidates import occurrence_on
from resolvers.booking.wording import describe_session
from resolvers.platform import messages
from resolvers.platform.calendar import zone_of
from resolvers.platform.changes import SessionKey, announce
from resolvers.platform.outbox import enqueue

BATCH_SIZE = 200
# PostgreSQL's reading of a local time that a DST change skips or repeats may differ from
# the calendar's by an hour: the database picks candidates this much early, Python decides.
_SLACK = timedelta(hours=1)


async def expire_waiting(
    *, session: AsyncSession, now: datetime, batch_size: int = BATCH_SIZE
) -> int:
    """Expire up to batch_size WAITING entries whose booking has closed; commits; how many."""
    local_start = WaitlistEntry.session_date + Schedule.start_time
    closes = func.timezone(Account.time_zone, local_start) - func.make_interval(
        0, 0, 0, 0, Schedule.booking_closes_hours_before
    )
    rows = (
        await session.execute(
            select(WaitlistEntry, Schedule, Account)
            .join(Schedule, Schedule.id == WaitlistEntry.schedule_id)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(WaitlistEntry.status == WaitlistStatus.WAITING, closes <= now + _SLACK)
            .order_by(WaitlistEntry.id)
            .limit(batch_size)
            .with_for_update(of=WaitlistEntry, skip_locked=True)
        )
    ).all()
    expired: set[SessionKey] = set()
    for entry, schedule, doctor in rows:
        times = occurrence_on(
            schedule, entry.session_date, zone=zone_of(doctor), vacations=(), booked=0, now=now
        ).times
        if now < times.closes_at:
            continue
        entry.status = WaitlistStatus.EXPIRED
        enqueue(
            session,
            channel=NotificationChannel.SMS,
            recipient=entry.patient_phone,
            body=messages.fill(
                messages.WAITLIST_EXPIRED,
                entry_id=entry.public_id,
                session=describe_session(schedule, doctor, entry.session_date),
            ),
            now=now,
        )
        expired.add(SessionKey(entry.schedule_id, entry.session_date))
    if expired:
        await announce(session, sorted(expired))
    await session.commit()
    return sum(1 for entry, _, _ in rows if entry.status is WaitlistStatus.EXPIRED)
