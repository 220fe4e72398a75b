"""The evening-before reminder: 18:00 in the doctor's zone (DST included), once, only while BOOKED."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, NotificationStatus
from db.models import Account, Appointment, Notification, Schedule
from db.session import Database
from db.stats import StatementLog
from resolvers.messaging.delivery import deliver_due
from resolvers.messaging.reminders import queue_due_reminders, reminder_at, reminder_due
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.messaging.test_worker import Recorder
from tests.operations import operation

BOOK = operation("BookAppointment")
CANCEL_MINE = operation("CancelMyAppointment")
PHONE = "+919830012345"  # the booking example's 9830012345 with the default country code
MONDAY = 0
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
MON_15_MAR_2027 = date(2027, 3, 15)  # New York moved its clocks forward on Sunday the 14th


def at(zone: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    """A wall time in a zone, as an instant (UTC)."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


async def doctor_with_schedule(
    session: AsyncSession, zone: ZoneInfo, *, weekday: int = MONDAY
) -> tuple[Account, Schedule]:
    """A doctor in the zone with a 10:00 session on the weekday (Monday unless told)."""
    doctor = await make_doctor(session, name="Dr. Asha Rao", time_zone=zone.key)
    schedule = await make_schedule(
        session,
        doctor,
        weekday=weekday,
        start_time=time(10, 0),
        end_time=None,
        clinic_name="Rao Heart Clinic",
        address="12 Park Street, Kolkata",
    )
    return doctor, schedule


async def worker_step(database: Database, clock: FixedClock, sender: Recorder) -> int:
    """One poll of the worker at the clock's time: queue due reminders, deliver the outbox."""
    async with database.session() as session:
        queued = await queue_due_reminders(session=session, now=clock.now())
    async with database.session() as session:
        await deliver_due(session=session, sender=sender, now=clock.now())
    return queued


async def reminders(database: Database) -> list[tuple[str, NotificationStatus]]:
    """The reminders in the outbox, by key, oldest first."""
    async with database.session() as session:
        rows = await session.execute(
            select(Notification.dedup_key, Notification.status)
            .where(Notification.dedup_key.like("reminder:%"))
            .order_by(Notification.id)
        )
        return [(str(key), status) for key, status in rows]


async def book(
    gql: GraphQLClient,
    session: AsyncSession,
    *,
    schedule: Schedule,
    day: date,
    settings: Settings,
    clock: FixedClock,
) -> dict[str, str]:
    """Book through the API as a patient does; the answer's publicId and manageToken."""
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    body = await gql(BOOK, booking(schedule, day))
    result = body["data"]["bookAppointment"]
    assert result["__typename"] == "Booked", result
    return {"publicId": result["appointment"]["publicId"], "manageToken": result["manageToken"]}


@pytest.mark.parametrize(
    ("zone", "session_day", "evening_before"),
    [
        # Sessions the day after the clocks change: the evening before is the day they
        # changed, so 18:00 is 22:00 UTC (EDT, just begun), 23:00 (EST), 17:00 (BST), 18:00 (GMT).
        (NEW_YORK, date(2027, 3, 15), datetime(2027, 3, 14, 22, 0, tzinfo=UTC)),
        (NEW_YORK, date(2027, 11, 8), datetime(2027, 11, 7, 23, 0, tzinfo=UTC)),
        (LONDON, date(2027, 3, 29), datetime(2027, 3, 28, 17, 0, tzinfo=UTC)),
        (LONDON, date(2027, 11, 1), datetime(2027, 10, 31, 18, 0, tzinfo=UTC)),
        # Sessions on the day of the change: the evening before keeps the old offset, so
        # "16 hours before a 10:00 start" would be an hour off.
        (NEW_YORK, date(2027, 3, 14), datetime(2027, 3, 13, 23, 0, tzinfo=UTC)),
        (LONDON, date(2027, 10, 31), datetime(2027, 10, 30, 17, 0, tzinfo=UTC)),
    ],
    ids=[
        "new-york-spring",
        "new-york-autumn",
        "london-spring",
        "london-autumn",
        "new-york-on-the-day",
        "london-on-the-day",
    ],
)
async def test_the_reminder_goes_at_18_00_local_the_evening_before_across_a_dst_change(
    session: AsyncSession,
    database: Database,
    clock: FixedClock,
    zone: ZoneInfo,
    session_day: date,
    evening_before: datetime,
) -> None:
    # given a booking for a 10:00 session near a change of the clocks
    _, schedule = await doctor_with_schedule(session, zone, weekday=session_day.weekday())
    await make_appointment(session, schedule, session_day)
    await session.commit()
    sender = Recorder()
    # when the worker polls a second before 18:00 local, then at 18:00
    clock.set(evening_before - timedelta(seconds=1))
    early = await worker_step(database, clock, sender)
    clock.set(evening_before)
    on_time = await worker_step(database, clock, sender)
    # then nothing went before, one reminder at 18:00 on the doctor's wall clock
    assert reminder_at(session_day, zone) == evening_before
    assert evening_before.astimezone(zone).time() == time(18, 0)
    assert (early, on_time) == (0, 1)
    assert [message.recipient for message in sender.sent] == [
        (await session.scalar(select(Appointment.patient_phone)))
    ]


async def test_the_message_names_doctor_clinic_address_date_time_and_queue_number(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given the third booking of a session
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    for _ in range(3):
        appointment = await make_appointment(session, schedule, MON_15_MAR_2027)
    await session.commit()
    sender = Recorder()
    updated_at = appointment.updated_at
    # when
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=1), 18))
    await worker_step(database, clock, sender)
    # then
    third = next(m for m in sender.sent if m.recipient == appointment.patient_phone)
    assert third.body == (
        f"Reminder: {appointment.public_id}, queue #3, with Dr. Asha Rao at Rao Heart Clinic,"
        " 12 Park Street, Kolkata, on Mon 15 Mar 2027 at 10:00."
    )
    assert len(sender.sent) == 3
    # and the appointment says when its reminder was queued, the booking itself unchanged
    await session.refresh(appointment)
    assert appointment.reminder_queued_at == clock.now()
    assert appointment.updated_at == updated_at


async def test_booked_after_18_00_the_evening_before_is_reminded_at_once(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a patient who books at 21:30 the evening before
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    await session.commit()
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=1), 21, 30))
    booked = await book(
        gql, session, schedule=schedule, day=MON_15_MAR_2027, settings=settings, clock=clock
    )
    sender = Recorder()
    # when the worker polls a moment later
    clock.advance(timedelta(seconds=2))
    queued = await worker_step(database, clock, sender)
    # then the reminder went at once, beside the booking's own SMS
    assert queued == 1
    reminder = next(m for m in sender.sent if m.body.startswith("Reminder:"))
    assert reminder.recipient == PHONE
    assert booked["publicId"] in reminder.body


async def test_booked_on_the_day_is_reminded_at_once_until_the_session_begins(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a 10:00 session: one patient books at 07:00 that morning, a walk-in is
    # added at 10:05, after the session began
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    await session.commit()
    clock.set(at(NEW_YORK, MON_15_MAR_2027, 7))
    booked = await book(
        gql, session, schedule=schedule, day=MON_15_MAR_2027, settings=settings, clock=clock
    )
    sender = Recorder()
    morning = await worker_step(database, clock, sender)
    walk_in = await make_appointment(session, schedule, MON_15_MAR_2027)
    await session.commit()
    # when the worker polls after the session began
    clock.set(at(NEW_YORK, MON_15_MAR_2027, 10, 5))
    late = await worker_step(database, clock, sender)
    # then the morning booking was reminded, the walk-in is not
    assert (morning, late) == (1, 0)
    assert [key for key, _ in await reminders(database)] == [
        f"reminder:{booked['publicId'].removeprefix('MMA-')}"
    ]
    assert all(walk_in.patient_phone != message.recipient for message in sender.sent)


async def test_cancelled_before_18_00_is_never_reminded(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a booking cancelled at 17:00 the evening before
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    await session.commit()
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=2), 9))
    booked = await book(
        gql, session, schedule=schedule, day=MON_15_MAR_2027, settings=settings, clock=clock
    )
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=1), 17))
    cancelled = await gql(CANCEL_MINE, booked | {"reason": None})
    assert cancelled["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    sender = Recorder()
    # when the worker polls at 18:00 and on through the evening
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=1), 18))
    for _ in range(3):
        await worker_step(database, clock, sender)
        clock.advance(timedelta(hours=2))
    # then no reminder was queued or sent
    assert await reminders(database) == []
    assert [m for m in sender.sent if m.body.startswith("Reminder:")] == []


async def test_cancelled_after_the_reminder_was_queued_it_is_skipped_not_sent(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a reminder queued at 18:00 but not yet sent
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    await session.commit()
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=2), 9))
    booked = await book(
        gql, session, schedule=schedule, day=MON_15_MAR_2027, settings=settings, clock=clock
    )
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=1), 18))
    async with database.session() as worker:
        assert await queue_due_reminders(session=worker, now=clock.now()) == 1
    # when the patient cancels, then the outbox is delivered
    clock.advance(timedelta(seconds=1))
    cancelled = await gql(CANCEL_MINE, booked | {"reason": None})
    assert cancelled["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    sender = Recorder()
    async with database.session() as worker:
        report = await deliver_due(session=worker, sender=sender, now=clock.now())
    # then the reminder is SKIPPED with its reason, and only the cancellation SMS left
    assert report.skipped == 1
    assert [m for m in sender.sent if m.body.startswith("Reminder:")] == []
    async with database.session() as check:
        reminder = await check.scalar(select(Notification).where(Notification.appointment_id == 1))
    assert reminder is not None
    assert reminder.status is NotificationStatus.SKIPPED
    assert reminder.last_error == "appointment is CANCELLED_BY_PATIENT"


async def test_a_queued_reminder_whose_session_began_meanwhile_is_skipped(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given a reminder queued the evening before while the worker's sender was down
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    await make_appointment(session, schedule, MON_15_MAR_2027)
    await session.commit()
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=1), 18))
    async with database.session() as worker:
        await queue_due_reminders(session=worker, now=clock.now())
    # when delivery runs again only after the session began
    clock.set(at(NEW_YORK, MON_15_MAR_2027, 10))
    sender = Recorder()
    async with database.session() as worker:
        report = await deliver_due(session=worker, sender=sender, now=clock.now())
    # then
    assert (report.sent, report.skipped) == (0, 1)
    assert await reminders(database) == [("reminder:1", NotificationStatus.SKIPPED)]


async def test_a_rescheduled_appointment_is_reminded_only_at_its_new_place(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given an appointment moved to another session: the old one released as a
    # reschedule leaves it, the new one BOOKED (however the move was made)
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    old = await make_appointment(session, schedule, MON_15_MAR_2027)
    new = await make_appointment(session, schedule, MON_15_MAR_2027 + timedelta(days=7))
    old.status = AppointmentStatus.CANCELLED_BY_PATIENT
    old.cancellation_reason = "rescheduled"
    old.cancelled_at = clock.now()
    await session.commit()
    sender = Recorder()
    # when the worker polls the evening before each session
    for day in (MON_15_MAR_2027, MON_15_MAR_2027 + timedelta(days=7)):
        clock.set(at(NEW_YORK, day - timedelta(days=1), 18))
        await worker_step(database, clock, sender)
    # then only the new appointment was reminded
    assert [message.recipient for message in sender.sent] == [new.patient_phone]
    assert await reminders(database) == [(f"reminder:{new.id}", NotificationStatus.SENT)]


async def test_each_appointment_is_reminded_once_however_often_and_by_how_many_it_is_polled(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given ten bookings due at 18:00
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    for _ in range(10):
        await make_appointment(session, schedule, MON_15_MAR_2027)
    await session.commit()
    clock.set(at(NEW_YORK, MON_15_MAR_2027 - timedelta(days=1), 18))

    async def scan() -> int:
        async with database.session() as worker:
            return await queue_due_reminders(session=worker, now=clock.now(), batch_size=4)

    # when four workers scan at once, again and again through the evening
    counts: list[int] = []
    for _ in range(4):
        counts += await asyncio.gather(*(scan() for _ in range(4)))
        clock.advance(timedelta(hours=1))
    sender = Recorder()
    await worker_step(database, clock, sender)
    await worker_step(database, clock, sender)
    # then every booking was queued exactly once and sent exactly once
    assert sum(counts) == 10
    assert sorted(key for key, _ in await reminders(database)) == sorted(
        f"reminder:{n}" for n in range(1, 11)
    )
    assert len(sender.sent) == len({message.recipient for message in sender.sent}) == 10


# Zones from UTC+14 to UTC-12, with DST of an hour (New York, London) and of half an hour
# (Lord Howe), and sessions from just after midnight to late evening.
ZONES = (
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "Asia/Kolkata",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
)
STARTS = (time(0, 30), time(10, 0), time(23, 30))


async def test_the_scan_queues_exactly_what_the_rule_says_in_every_zone_at_every_half_hour(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given Monday and Tuesday sessions at three times in six zones (a week after New
    # York's and London's clocks went back)
    monday = date(2027, 11, 8)
    expected_due: dict[int, tuple[date, time, ZoneInfo]] = {}
    for zone_name in ZONES:
        doctor = await make_doctor(session, time_zone=zone_name)
        for start in STARTS:
            for day in (monday, monday + timedelta(days=1)):
                schedule = await make_schedule(
                    session, doctor, weekday=day.weekday(), start_time=start, end_time=None
                )
                appointment = await make_appointment(session, schedule, day)
                expected_due[appointment.id] = (day, start, ZoneInfo(zone_name))
    await session.commit()
    # when the scan runs every half hour for three days
    clock.set(datetime(2027, 11, 6, 0, 0, tzinfo=UTC))
    seen: set[int] = set()
    mismatches: list[str] = []
    while clock.now() < datetime(2027, 11, 10, 12, 0, tzinfo=UTC):
        async with database.session() as worker:
            await queue_due_reminders(session=worker, now=clock.now())
        seen |= {
            appointment_id
            for appointment_id, (day, start, zone) in expected_due.items()
            if reminder_due(day=day, start=start, zone=zone, now=clock.now())
        }
        queued = {int(key.removeprefix("reminder:")) for key, _ in await reminders(database)}
        if queued != seen:
            mismatches.append(f"{clock.now():%Y-%m-%d %H:%M}: {sorted(queued ^ seen)}")
        clock.advance(timedelta(minutes=30))
    # then at every step the queued reminders are exactly those the rule has made due
    assert mismatches == []
    assert seen == set(expected_due)


async def test_queueing_costs_the_same_statements_for_one_reminder_or_fifty(
    session: AsyncSession,
    database: Database,
    clock: FixedClock,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given one booking on one Monday and fifty on the next
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    await make_appointment(session, schedule, MON_15_MAR_2027)
    for _ in range(50):
        await make_appointment(session, schedule, MON_15_MAR_2027 + timedelta(days=7))
    await session.commit()
    counts = []
    # when each evening's reminders are queued
    for day in (MON_15_MAR_2027, MON_15_MAR_2027 + timedelta(days=7)):
        clock.set(at(NEW_YORK, day - timedelta(days=1), 18))
        async with database.session() as worker:
            with count_statements() as log:
                queued = await queue_due_reminders(session=worker, now=clock.now())
        counts.append((queued, log.count))
    # then one statement finds them, one queues them and one marks them, however many
    assert [queued for queued, _ in counts] == [1, 50]
    # find, queue, mark (and, behind a transaction pooler, its per-transaction settings)
    assert counts[0][1] == counts[1][1] <= 4


async def test_the_rule_reads_the_doctors_zone_as_it_is_when_the_evening_comes(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given a booking whose doctor moved from New York to Kolkata after it was made
    doctor, schedule = await doctor_with_schedule(session, NEW_YORK)
    await make_appointment(session, schedule, MON_15_MAR_2027)
    await session.commit()
    await session.execute(
        update(Account).where(Account.id == doctor.id).values(time_zone="Asia/Kolkata")
    )
    await session.commit()
    kolkata_evening = at(ZoneInfo("Asia/Kolkata"), MON_15_MAR_2027 - timedelta(days=1), 18)
    sender = Recorder()
    # when the worker polls a second before 18:00 in Kolkata, then at 18:00
    clock.set(kolkata_evening - timedelta(seconds=1))
    early = await worker_step(database, clock, sender)
    clock.set(kolkata_evening)
    on_time = await worker_step(database, clock, sender)
    # then it went at Kolkata's 18:00 (hours before New York's), naming Kolkata's 10:00
    assert (early, on_time) == (0, 1)
    [reminder] = sender.sent
    assert reminder.body.endswith("on Mon 15 Mar 2027 at 10:00.")


async def test_a_walk_in_without_a_phone_is_passed_over_and_blocks_nobody(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given a walk-in who gave no phone, added before the session began, and a booking
    _, schedule = await doctor_with_schedule(session, NEW_YORK)
    await make_appointment(session, schedule, MON_15_MAR_2027, is_walk_in=True, patient_phone=None)
    booked = await make_appointment(session, schedule, MON_15_MAR_2027)
    await session.commit()
    sender = Recorder()
    # when the worker polls on the morning of the session
    clock.set(at(NEW_YORK, MON_15_MAR_2027, 9))
    queued = await worker_step(database, clock, sender)
    # then only the booking was reminded
    assert queued == 1
    assert [message.recipient for message in sender.sent] == [booked.patient_phone]
