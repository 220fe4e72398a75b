"""Statement budgets: nested sessions come from loaders, so page size does not add queries."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account
from resolvers.clock import FixedClock
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
DOCTORS = 100


async def busy_doctor(session: AsyncSession, doctor: Account, n: int) -> None:
    """Two schedules, a booking, and on every third doctor a vacation."""
    thursday = await make_schedule(session, doctor, weekday=3)
    saturday = await make_schedule(
        session, doctor, weekday=5, weeks_of_month=[2, 4], start_time=time(10), end_time=None
    )
    await make_appointment(session, thursday, date(2026, 12, 3))
    if n % 3 == 0:
        await make_vacation(
            session, doctor, date(2026, 12, 10), date(2026, 12, 12), schedules=[saturday]
        )


@pytest.fixture
async def directory(session: AsyncSession) -> list[Account]:
    category = await make_category(session, "Cardiology")
    doctors = []
    for n in range(DOCTORS):
        doctor = await make_doctor(session, category=category, name=f"Dr. {n:03d}")
        await busy_doctor(session, doctor, n)
        doctors.append(doctor)
    await session.commit()
    return doctors


@pytest.mark.parametrize("first", [5, 50, 100])
@pytest.mark.parametrize("search", [None, "Dr"])
async def test_search_with_next_sessions_costs_the_same_for_any_page_size(
    gql: GraphQLClient,
    count_statements: Counter,
    directory: list[Account],
    first: int,
    search: str | None,
) -> None:
    # given the frontend's filter, matching every doctor of the directory
    variables = example_variables("SearchDoctors") | {"first": first}
    variables["filter"] |= {"search": search, "categoryIds": None}
    # when
    with count_statements() as log:
        body = await gql(operation("SearchDoctors"), variables)
    # then
    edges = body["data"]["doctors"]["edges"]
    assert len(edges) == first
    assert all(edge["node"]["nextAvailableSession"] is not None for edge in edges)
    assert log.count <= 6, log.statements


async def test_a_doctor_page_with_two_weeks_of_sessions(
    gql: GraphQLClient, count_statements: Counter, directory: list[Account]
) -> None:
    # when
    with count_statements() as log:
        body = await gql(
            operation("DoctorPage"),
            example_variables("DoctorPage") | {"publicId": directory[0].public_id},
        )
    # then
    assert len(body["data"]["doctor"]["sessions"]) == 3
    assert log.count <= 6, log.statements


async def test_finding_sessions_across_every_doctor(
    gql: GraphQLClient, count_statements: Counter, directory: list[Account]
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
    assert log.count <= 6, log.statements


async def test_the_doctors_calendar_and_session_list(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    count_statements: Counter,
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await busy_doctor(session, doctor, 0)
    schedule = await make_schedule(session, doctor, weekday=1)
    for _ in range(20):
        await make_appointment(session, schedule, date(2026, 12, 8))
    await session.commit()
    # when
    with count_statements() as calendar_log:
        calendar = await gql(operation("MyCalendar"), example_variables("MyCalendar"), token=token)
    with count_statements() as list_log:
        listed = await gql(
            operation("SessionAppointments"),
            {"scheduleId": str(schedule.id), "date": "2026-12-08"},
            token=token,
        )
    # then
    assert len(calendar["data"]["me"]["sessions"]) == 12
    assert calendar_log.count <= 5, calendar_log.statements
    assert len(listed["data"]["sessionAppointments"]) == 20
    assert list_log.count <= 3, list_log.statements
