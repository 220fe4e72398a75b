"""Statement budgets of the read paths: a fixed, small number of SQL statements, whatever the size.

Each test sends the frontend's own operation (../shared/operations) with its
example variables, or realistic ones, over a directory of many doctors in three
specialties and two cities, each with several chambers, bookings, and on every
third doctor a vacation. Nested data comes from batched loaders, so the number
of statements does not grow with the page size or the number of doctors.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Schedule
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.conftest import GraphQLClient, StatementLog
from tests.factories import (
    make_appointment,
    make_category,
    make_doctor,
    make_schedule,
    make_vacation,
)
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor

Counter = Callable[..., AbstractContextManager[StatementLog]]
DOCTORS = 120
SEARCH_BUDGET = 6
DOCTOR_PAGE_BUDGET = 6
FIND_SESSIONS_BUDGET = 6
CALENDAR_BUDGET = 5
SESSION_LIST_BUDGET = 3


@dataclass
class Directory:
    doctors: list[Account]
    cardiologists_in_kolkata: int


async def busy_doctor(session: AsyncSession, doctor: Account, n: int) -> list[Schedule]:
    """Three chambers (one on alternate Saturdays), bookings, and on every third a vacation."""
    tuesday = await make_schedule(session, doctor, weekday=1, start_time=time(17))
    thursday = await make_schedule(session, doctor, weekday=3, patient_limit=None)
    saturday = await make_schedule(
        session, doctor, weekday=5, weeks_of_month=[2, 4], start_time=time(10), end_time=None
    )
    for day in (date(2026, 12, 1), date(2026, 12, 8)):
        await make_appointment(session, tuesday, day)
    await make_appointment(session, thursday, date(2026, 12, 3))
    if n % 3 == 0:
        await make_vacation(
            session, doctor, date(2026, 12, 10), date(2026, 12, 12), schedules=[saturday]
        )
    return [tuesday, thursday, saturday]


@pytest.fixture
async def directory(session: AsyncSession) -> Directory:
    # Category 1 is the frontend example's: "cardio" finds it by name.
    categories = [
        await make_category(session, name) for name in ("Cardiology", "Dermatology", "ENT")
    ]
    doctors = []
    for n in range(DOCTORS):
        doctor = await make_doctor(
            session,
            category=categories[n % 3],
            name=f"Dr. {n:03d}",
            city="Kolkata" if n % 2 == 0 else "Mumbai",
        )
        await busy_doctor(session, doctor, n)
        doctors.append(doctor)
    await session.commit()
    return Directory(doctors=doctors, cardiologists_in_kolkata=len(range(0, DOCTORS, 6)))


@pytest.mark.parametrize("first", [5, 50, 100])
@pytest.mark.parametrize("search", [None, "Dr"])
async def test_search_with_next_sessions_costs_the_same_for_any_page_size(
    gql: GraphQLClient,
    count_statements: Counter,
    directory: Directory,
    first: int,
    search: str | None,
) -> None:
    # given the frontend's filter, widened to every doctor of the directory
    variables = example_variables("SearchDoctors") | {"first": first}
    variables["filter"] |= {"search": search, "categoryIds": None, "city": None}
    # when
    with count_statements() as log:
        body = await gql(operation("SearchDoctors"), variables)
    # then
    edges = body["data"]["doctors"]["edges"]
    assert len(edges) == first
    assert all(edge["node"]["nextAvailableSession"] is not None for edge in edges)
    assert all(edge["node"]["category"] is not None for edge in edges)
    assert log.count <= SEARCH_BUDGET, log.statements


async def test_search_with_the_frontends_example_variables(
    gql: GraphQLClient, count_statements: Counter, directory: Directory
) -> None:
    # given "cardio" in category 1 in Kolkata, exactly as the frontend sends it
    variables = example_variables("SearchDoctors")
    # when
    with count_statements() as log:
        body = await gql(operation("SearchDoctors"), variables)
    # then
    assert body["data"]["doctors"]["totalCount"] == directory.cardiologists_in_kolkata
    assert len(body["data"]["doctors"]["edges"]) == 20
    assert log.count <= SEARCH_BUDGET, log.statements


async def test_a_doctor_page_with_two_weeks_of_sessions(
    gql: GraphQLClient, count_statements: Counter, directory: Directory
) -> None:
    # given a doctor with a vacation inside the 14-day window
    doctor = directory.doctors[0]
    variables = example_variables("DoctorPage") | {"publicId": doctor.public_id}
    # when
    with count_statements() as log:
        body = await gql(operation("DoctorPage"), variables)
    # then: two Tuesdays, two Thursdays and the second Saturday, on vacation
    page = body["data"]["doctor"]
    assert len(page["schedules"]) == 3
    statuses = [item["status"] for item in page["sessions"]]
    assert len(statuses) == 5
    assert "ON_VACATION" in statuses
    assert log.count <= DOCTOR_PAGE_BUDGET, log.statements


async def test_finding_sessions_with_the_frontends_example_variables(
    gql: GraphQLClient, count_statements: Counter, directory: Directory
) -> None:
    # when: category 1 in Kolkata for the first week, only bookable
    with count_statements() as log:
        body = await gql(operation("FindSessions"), example_variables("FindSessions"))
    # then
    edges = body["data"]["findSessions"]["edges"]
    assert len(edges) == 20
    assert all(edge["node"]["status"] == "OPEN" for edge in edges)
    assert log.count <= FIND_SESSIONS_BUDGET, log.statements


async def test_finding_sessions_across_every_doctor(
    gql: GraphQLClient, count_statements: Counter, directory: Directory
) -> None:
    # when
    with count_statements() as log:
        body = await gql(
            operation("FindSessions"),
            {"filter": {"from": "2026-12-01", "to": "2026-12-14"}, "first": 100},
        )
    # then
    edges = body["data"]["findSessions"]["edges"]
    assert len(edges) == 100
    assert all(edge["node"]["schedule"]["doctor"]["category"] for edge in edges)
    assert log.count <= FIND_SESSIONS_BUDGET, log.statements


async def test_the_doctors_calendar_and_session_list(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    count_statements: Counter,
    directory: Directory,
) -> None:
    # given a signed-in doctor among the directory, with a full Tuesday session
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    tuesday, *_ = await busy_doctor(session, doctor, 0)
    for _ in range(8):
        await make_appointment(session, tuesday, date(2026, 12, 8))
    await session.commit()
    # when
    with count_statements() as calendar_log:
        calendar = await gql(operation("MyCalendar"), example_variables("MyCalendar"), token=token)
    with count_statements() as list_log:
        listed = await gql(
            operation("SessionAppointments"),
            {"scheduleId": str(tuesday.id), "date": "2026-12-08"},
            token=token,
        )
    # then: five Tuesdays, five Thursdays, two Saturdays in December
    assert len(calendar["data"]["me"]["sessions"]) == 12
    assert calendar_log.count <= CALENDAR_BUDGET, calendar_log.statements
    assert len(listed["data"]["sessionAppointments"]) == 9
    assert list_log.count <= SESSION_LIST_BUDGET, list_log.statements
