"""The searches' SQL candidates give the calendar's own answers: on varied data, and while booking."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bench.exactness import compare
from db.enums import DoctorStatus
from db.models import Account, SessionSeats
from db.session import Database
from resolvers.booking import sessions
from resolvers.loaders import Loaders
from resolvers.platform.calendar import pattern_of
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import DEFAULT_NOW, GraphQLClient
from tests.factories import make_category, make_doctor, make_schedule, make_vacation
from tests.operations import example_variables, operation

SEARCH = operation("SearchDoctors")
FIND = operation("FindSessions")
BOOK = operation("BookAppointment")

# Offsets from -12 to +14 hours, half and quarter hours, and DST rules of both
# hemispheres (Lord Howe moves by 30 minutes, Troll by two hours).
ZONES = (
    "Asia/Kolkata",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Antarctica/Troll",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
)
# Midnight, the hours DST skips or repeats, and the day's last half hour.
STARTS = (time(0), time(0, 30), time(1, 30), time(2, 30), time(9), time(18), time(23, 30))
WEEKS: tuple[list[int], ...] = ([], [1], [2, 4], [-1], [5], [1, 3, -1], [4, -1])
INSTANTS = (
    DEFAULT_NOW,
    # 60 days ahead hold the northern autumn's changes; then the spring's.
    datetime(2026, 10, 20, 12, tzinfo=UTC),
    datetime(2027, 2, 25, 19, 45, tzinfo=UTC),
    # The repeated hour of New York's autumn change, and the skipped one of its spring.
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    datetime(2027, 3, 14, 7, 15, tzinfo=UTC),
)


async def seed_variety(session: AsyncSession, *, doctors: int, seed: int) -> None:
    """Doctors in many zones; schedules of every weeks pattern, window and limit; seats
    booked up to full on their coming dates; vacations; a pending doctor and a retired
    schedule that must never show."""
    rng = random.Random(seed)
    categories = [await make_category(session) for _ in range(3)]
    today = date(2026, 10, 15)
    for n in range(doctors):
        doctor = await make_doctor(
            session, category=categories[n % 3], time_zone=ZONES[n % len(ZONES)]
        )
        for weekday in rng.sample(range(7), rng.randint(1, 4)):
            start = rng.choice(STARTS)
            limit = rng.choice([None, 1, 2, 3, 5])
            schedule = await make_schedule(
                session,
                doctor,
                weekday=weekday,
                weeks_of_month=rng.choice(WEEKS),
                start_time=start,
                end_time=None if start >= time(23) else time(start.hour + 1, start.minute),
                booking_opens_days_before=rng.choice([0, 1, 3, 7, 14, 30, 45]),
                booking_closes_hours_before=rng.choice([0, 1, 2, 6, 24, 48, 72]),
                patient_limit=limit,
            )
            for day in pattern_of(schedule).dates(today, today + timedelta(days=200)):
                if rng.random() < 0.6:
                    booked = rng.randint(0, limit or 8)
                    session.add(
                        SessionSeats(
                            schedule_id=schedule.id,
                            session_date=day,
                            booked_count=booked,
                            last_queue_number=booked + rng.randint(0, 2),
                        )
                    )
            if rng.random() < 0.25:
                first = today + timedelta(days=rng.randint(0, 180))
                await make_vacation(
                    session,
                    doctor,
                    first,
                    first + timedelta(days=rng.randint(0, 20)),
                    schedules=[schedule],
                )
    pending = await make_doctor(session, status=DoctorStatus.PENDING_ACTIVATION)
    await make_schedule(session, pending, weekday=2)
    retired = await make_doctor(session, category=categories[0])
    await make_schedule(session, retired, weekday=2, is_active=False, deactivated_at=DEFAULT_NOW)
    await session.commit()


async def test_every_doctors_answers_match_the_full_calendar_walk(
    session: AsyncSession, database: Database
) -> None:
    # given 90 doctors of varied zones, patterns, windows, seats and vacations
    await seed_variety(session, doctors=90, seed=15)
    # when both ways answer at five instants, DST changes among them
    report = await compare(database, list(INSTANTS))
    # then
    assert report.differences == []
    assert report.doctors == 91 * len(INSTANTS)
    # both kinds of answer, and the fallback walk, were exercised
    assert 0 < report.found < report.doctors
    assert report.walked > 0
    assert report.finds > 0


async def next_session_of(loaders: Loaders, doctor: Account, now: datetime) -> Any:
    return await sessions.next_available_session(
        loaders, doctor_id=doctor.id, time_zone=doctor.time_zone, now=now
    )


SEATS = 3
PATIENTS = 10


async def test_searches_during_concurrent_bookings_answer_some_state_the_bookings_passed(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a doctor whose Thursdays (3-seat sessions) are all open, and 10 patients
    # who each book the first Thursday with a seat left, moving on when told it is full
    category = await make_category(session)
    doctor = await make_doctor(session, category=category)
    schedule = await make_schedule(
        session, doctor, weekday=3, patient_limit=SEATS, booking_opens_days_before=60
    )
    phones = [f"+91983{n:07d}" for n in range(PATIENTS)]
    for phone in phones:
        await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    thursdays = pattern_of(schedule).dates(date(2026, 12, 1), date(2027, 1, 31))
    events = itertools.count()
    booked_at: list[tuple[int, int]] = []  # (sent, answered) of each booking that took a seat
    searched: list[tuple[int, int, Any, Any]] = []
    done = asyncio.Event()

    async def patient(n: int, phone: str) -> None:
        for day in thursdays:
            sent = next(events)
            variables = booking(schedule, day, patientPhone=phone, patientName=f"Patient {n}")
            result = (await gql(BOOK, variables))["data"]["bookAppointment"]
            if result["__typename"] == "Booked":
                booked_at.append((sent, next(events)))
                return
            assert result["__typename"] == "SessionFull", result

    search = example_variables("SearchDoctors") | {"first": 20}
    search["filter"] |= {"categoryIds": [str(category.id)], "search": None, "city": None}
    find_filter = {"from": "2026-12-01", "to": "2027-01-29", "onlyBookable": True}
    find_filter |= {"categoryIds": [str(category.id)]}

    async def searcher() -> None:
        while not done.is_set():
            sent = next(events)
            found, listed = await asyncio.gather(
                gql(SEARCH, search),
                gql(FIND, {"filter": find_filter, "first": 1}),
            )
            [edge] = found["data"]["doctors"]["edges"]
            [first] = listed["data"]["findSessions"]["edges"]
            searched.append((sent, next(events), edge["node"]["nextAvailableSession"], first))

    # when the patients book while two searchers keep searching
    searchers = [asyncio.create_task(searcher()) for _ in range(2)]
    await asyncio.gather(*(patient(n, phone) for n, phone in enumerate(phones)))
    done.set()
    await asyncio.gather(*searchers)

    # then every answer is the state after some number of bookings that may have
    # committed between the search's sending and its answer: all those answered before
    # it was sent at least, all those sent before its answer came at most
    def state(booked: int) -> tuple[str, int]:
        return thursdays[booked // SEATS].isoformat(), SEATS - booked % SEATS

    seen = set()
    for sent, answered, next_one, first in searched:
        least = sum(1 for _, done_at in booked_at if done_at < sent)
        most = sum(1 for started, _ in booked_at if started < answered)
        possible = {state(booked) for booked in range(least, most + 1)}
        assert next_one["status"] == "OPEN"
        assert (next_one["date"], next_one["remaining"]) in possible, (sent, answered, next_one)
        node = first["node"]
        assert (node["date"], node["remaining"]) in possible, (sent, answered, node)
        seen.add((next_one["date"], next_one["remaining"]))
    assert len(booked_at) == PATIENTS
    # the searches overlapped the bookings (else this proves nothing)
    assert len(seen) >= 3
    # and once all have committed, both agree with the calendar's full walk
    request = database.request_session()
    try:
        authority = await next_session_of(Loaders(request), doctor, clock.now())
    finally:
        await request.close()
    assert authority is not None
    final = await gql(SEARCH, search)
    [edge] = final["data"]["doctors"]["edges"]
    answer = edge["node"]["nextAvailableSession"]
    assert (answer["date"], answer["remaining"]) == state(PATIENTS)
    assert (authority.day.isoformat(), authority.remaining) == state(PATIENTS)
