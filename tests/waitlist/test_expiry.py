"""Expiry: entries still WAITING when booking closes become EXPIRED, once, in the doctor's zone."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import WaitlistStatus
from db.session import Database
from resolvers.messaging.delivery import run_worker
from resolvers.messaging.senders import Message
from resolvers.platform.clock import FixedClock
from resolvers.waitlist.expiry import expire_waiting
from settings import Settings
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.scheduling_support import sms_to
from tests.waitlist_support import DEC_3, entries_of, full_session, make_entry

# Booking for 3 December 18:00 in Kolkata closes at 16:00 local, 10:30 UTC.
CLOSES = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
PHONE = "+919830044444"


async def test_waiting_entries_expire_when_booking_closes_and_not_a_second_before(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    # given a full session with one patient waiting, one promoted earlier and one who left
    full = await full_session(session, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings, patient_phone=PHONE)
    promoted = await make_appointment(session, full.schedule, DEC_3)
    await make_entry(
        session,
        full.schedule,
        DEC_3,
        settings=settings,
        status=WaitlistStatus.PROMOTED,
        appointment_id=promoted.id,
        patient_phone="+919830044445",
    )
    await make_entry(
        session,
        full.schedule,
        DEC_3,
        settings=settings,
        status=WaitlistStatus.LEFT,
        patient_phone="+919830044446",
    )
    await session.commit()
    # when the worker's step runs just before, at, and again after the close
    async with database.session() as worker:
        before = await expire_waiting(session=worker, now=CLOSES - timedelta(seconds=1))
        at = await expire_waiting(session=worker, now=CLOSES)
        again = await expire_waiting(session=worker, now=CLOSES + timedelta(minutes=5))
    # then only the waiting entry expired, once, and its patient was told once
    assert (before, at, again) == (0, 1, 0)
    statuses = [e.status for e in await entries_of(session)]
    assert statuses == [WaitlistStatus.EXPIRED, WaitlistStatus.PROMOTED, WaitlistStatus.LEFT]
    assert await sms_to(session, PHONE) == [
        "Waitlist MMW-1: booking has closed for Dr. Asha Rao at Test Clinic, 12 Park Street,"
        " on Thu 03 Dec 2026 at 18:00 and no seat freed up for you."
    ]


async def test_closing_time_is_counted_in_the_doctors_zone_across_a_dst_change(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    # given a London session at noon on Sunday 28 March 2027, the day clocks go forward,
    # whose booking closes 24 elapsed hours before: 11:00 UTC on the 27th (not 12:00)
    doctor = await make_doctor(session, time_zone="Europe/London")
    schedule = await make_schedule(
        session,
        doctor,
        weekday=6,
        start_time=time(12, 0),
        end_time=time(13, 0),
        booking_closes_hours_before=24,
    )
    day = date(2027, 3, 28)
    await make_entry(session, schedule, day, settings=settings)
    await session.commit()
    closes = datetime(2027, 3, 27, 11, 0, tzinfo=UTC)
    # when
    async with database.session() as worker:
        before = await expire_waiting(session=worker, now=closes - timedelta(seconds=1))
        at = await expire_waiting(session=worker, now=closes)
    # then
    assert (before, at) == (0, 1)


async def test_two_workers_expire_each_entry_once(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    # given 30 waiting entries of a closed session
    full = await full_session(session, seats=1)
    for n in range(30):
        await make_entry(
            session, full.schedule, DEC_3, settings=settings, patient_phone=f"+91983005{n:04d}"
        )
    await session.commit()

    async def step() -> int:
        async with database.session() as worker:
            return await expire_waiting(session=worker, now=CLOSES, batch_size=10)

    # when two workers step side by side until nothing is left
    done = 0
    while True:
        counts = await asyncio.gather(step(), step())
        if not any(counts):
            break
        done += sum(counts)
    # then every entry expired exactly once, with one SMS each
    assert done == 30
    assert {e.status for e in await entries_of(session)} == {WaitlistStatus.EXPIRED}
    for n in range(30):
        assert len(await sms_to(session, f"+91983005{n:04d}")) == 1


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


async def test_the_outbox_worker_expires_entries_as_it_polls(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    # given a waiting entry of a session whose booking has closed
    full = await full_session(session, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings, patient_phone=PHONE)
    await session.commit()
    sender = Recorder()
    # when the worker runs until nothing is due, twice
    for _ in range(2):
        await run_worker(
            database=database,
            sender=sender,
            clock=FixedClock(CLOSES),
            poll_seconds=0,
            stop=asyncio.Event(),
            once=True,
        )
    # then the entry expired and its SMS went out once (beside the booked patient's reminder)
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.EXPIRED]
    told = [message.body for message in sender.sent if message.recipient == PHONE]
    assert len(told) == 1
    assert told[0].startswith("Waitlist MMW-1: booking has closed")
