"""One doctor's schedules, vacations and patients changed all at once: no deadlock, no failure.

Every change a doctor makes locks their account row first, then their schedules in id
order (resolvers/accounts/standing.py). Here the schedules' ids run against their
weekday order, as the weekday/start order once locked them while vacations locked
by id; schedule edits, vacation saves (cancelling bookings) and deletions, new
schedules, a schedule deletion, the doctor's and the patients' cancellations and new
bookings of the same doctor are all sent at once through the app. Every answer is
typed, PostgreSQL counts no deadlock, and every session's seat counter still equals
its BOOKED appointments.
"""

from __future__ import annotations

import asyncio
import logging
import time as clock_time
from collections import Counter
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Appointment, SessionSeats
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_schedule, make_vacation
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor

UPDATE = operation("UpdateSchedule")
DELETE_SCHEDULE = operation("DeleteSchedule")
CREATE_SCHEDULES = operation("CreateSchedules")
CREATE_VACATION = operation("CreateVacation")
DELETE_VACATION = operation("DeleteVacation")
CANCEL = operation("CancelAppointment")
CANCEL_MINE = operation("CancelMyAppointment")
BOOK = operation("BookAppointment")
MANAGE_TOKEN = "test-manage-token"  # the factory's
# Sunday first: ids 1..6 run Sunday, Saturday ... Tuesday, against weekday order.
WEEKDAYS = (6, 5, 4, 3, 2, 1)
FIRST_WEEK = date(2026, 11, 30)  # the Monday of "now"'s week (Tuesday 1 December)
SECOND_WEEK = FIRST_WEEK + timedelta(days=7)
UPDATES, FAR_VACATIONS, DELETIONS, BOOKINGS = 48, 24, 10, 12
# What each operation may answer here; anything else, or any error, fails the test.
TYPED = {
    "updateSchedule": {"ScheduleUpdated", "NotFound"},  # NotFound: the deleted schedule
    "deleteSchedule": {"ScheduleDeleted"},
    "createSchedules": {"SchedulesCreated"},
    "createVacation": {"VacationSaved"},
    "deleteVacation": {"VacationDeleted"},
    "cancelAppointment": {"AppointmentCancelled", "NotAllowed"},  # NotAllowed: already
    "cancelMyAppointment": {"AppointmentCancelled", "NotAllowed"},
    "bookAppointment": {"Booked", "NotFound"},
}


def day_of(week_start: date, weekday: int) -> date:
    return week_start + timedelta(days=weekday)


async def deadlocks(database: Database) -> int:
    """PostgreSQL's count of deadlocks detected in this database (a fresh snapshot)."""
    async with database.session() as session:
        await session.execute(text("SELECT pg_stat_clear_snapshot()"))
        found = await session.scalar(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        )
    return int(found or 0)


async def deadlocks_after_flush(database: Database, before: int) -> int:
    """The count once the app's connections have ended: a backend reports its counts on exit,
    otherwise up to seconds later. Waits a little for the last of them."""
    await database.engine.dispose()
    deadline = clock_time.monotonic() + 1
    found = await deadlocks(database)
    while found == before and clock_time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        found = await deadlocks(database)
    return found


def vacation_on(day: date) -> dict[str, Any]:
    values = example_variables("CreateVacation")["input"]
    return {"input": {**values, "start": day.isoformat(), "end": day.isoformat()}}


async def test_a_doctors_changes_sent_at_once_never_deadlock(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given six chambers, three patients in each next week, ten vacations in February
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedules = [
        await make_schedule(session, doctor, weekday=weekday, start_time=time(18), patient_limit=50)
        for weekday in WEEKDAYS
    ]
    patients = [
        await make_appointment(session, schedule, day_of(SECOND_WEEK, schedule.weekday))
        for schedule in schedules
        for _ in range(3)
    ]
    february = [
        await make_vacation(session, doctor, day, day, schedules=schedules)
        for day in (date(2027, 2, n) for n in range(1, DELETIONS + 1))
    ]
    phones = [f"+91983{n:07d}" for n in range(BOOKINGS)]
    for phone in phones:
        await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    before = await deadlocks(database)
    caplog.set_level(logging.WARNING)
    requests: list[tuple[str, dict[str, Any], str | None]] = [
        *(
            (
                UPDATE,
                {
                    "id": str(schedules[n % 6].id),
                    "input": {"startTime": f"18:{n % 50:02d}", "fee": 500 + n},
                },
                token,
            )
            for n in range(UPDATES)
        ),
        # next week's days: each vacation cancels that day's three patients, and tells them
        *(
            (CREATE_VACATION, vacation_on(day_of(SECOND_WEEK, weekday)), token)
            for weekday in WEEKDAYS
        ),
        *(
            (CREATE_VACATION, vacation_on(date(2027, 1, n)), token)
            for n in range(1, FAR_VACATIONS + 1)
        ),
        *((DELETE_VACATION, {"id": str(v.id)}, token) for v in february),
        (DELETE_SCHEDULE, {"id": str(schedules[0].id), "reason": "clinic closed"}, token),
        *(
            (
                CREATE_SCHEDULES,
                {
                    "input": {
                        **example_variables("CreateSchedules")["input"],
                        "weekdays": ["MONDAY"],
                        "weeksOfMonth": None,
                        "startTime": f"{hour:02d}:00",
                        "endTime": f"{hour + 1:02d}:00",
                    }
                },
                token,
            )
            for hour in (9, 12, 15)
        ),
        *((CANCEL, {"id": str(a.id), "reason": "emergency surgery"}, token) for a in patients[::3]),
        *(
            (
                CANCEL_MINE,
                {"publicId": a.public_id, "manageToken": MANAGE_TOKEN, "reason": None},
                None,
            )
            for a in patients[1::3]
        ),
        *(
            (
                BOOK,
                booking(
                    schedules[n % 6],
                    day_of(FIRST_WEEK, schedules[n % 6].weekday),
                    patientPhone=phone,
                    patientName=f"Patient {n}",
                ),
                None,
            )
            for n, phone in enumerate(phones)
        ),
    ]
    # when all of them arrive at once
    bodies = await asyncio.gather(
        *(gql(document, variables, token=bearer) for document, variables, bearer in requests)
    )
    # then every answer is typed: no error, no deadlock
    problems = [body for body in bodies if "errors" in body]
    assert problems == []
    answers = Counter(
        (root, result["__typename"]) for body in bodies for root, result in body["data"].items()
    )
    assert {(root, name) for root, name in answers if name not in TYPED[root]} == set()
    assert answers["createVacation", "VacationSaved"] == len(WEEKDAYS) + FAR_VACATIONS
    assert answers["deleteVacation", "VacationDeleted"] == DELETIONS
    assert answers["createSchedules", "SchedulesCreated"] == 3
    assert not [r for r in caplog.records if "deadlock" in r.getMessage().lower()]
    assert await deadlocks_after_flush(database, before) == before
    # and every seat counter still equals its session's BOOKED appointments
    booked = (
        await session.execute(
            select(Appointment.schedule_id, Appointment.session_date, func.count())
            .where(Appointment.status == AppointmentStatus.BOOKED)
            .group_by(Appointment.schedule_id, Appointment.session_date)
        )
    ).all()
    seats = (
        await session.execute(
            select(SessionSeats.schedule_id, SessionSeats.session_date, SessionSeats.booked_count)
        )
    ).all()
    assert {(s, d): n for s, d, n in seats if n} == {(s, d): n for s, d, n in booked}
