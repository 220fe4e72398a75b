"""Hostile values in the frontend's own operations: each gets a typed or coded answer.

Issue 18, items 1 and 7: these once came back as INTERNAL_SERVER_ERROR (or, for
dates at the ends of the calendar, were stored). Every date a request names now
lies in a window from a year before today to five years after (DEFAULT_NOW is
2026-12-01, so 2025-12-01 to 2031-12-01).
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Vacation
from resolvers.platform.clock import FixedClock
from schema.platform.scalars import NaiveTime
from settings import Settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor

CREATE_SCHEDULES = operation("CreateSchedules")
UPDATE_SCHEDULE = operation("UpdateSchedule")
SEARCH = operation("SearchDoctors")
FIND_SESSIONS = operation("FindSessions")
REGISTER = operation("RegisterDoctor")
UPDATE_PROFILE = operation("UpdateMyProfile")
MY_APPOINTMENT = operation("MyAppointment")
CANCEL_MINE = operation("CancelMyAppointment")
DOCTOR_PAGE = operation("DoctorPage")
MY_CALENDAR = operation("MyCalendar")
BOOK = operation("BookAppointment")
CREATE_VACATION = operation("CreateVacation")
VACATION_IMPACT = operation("VacationImpact")

WINDOW = "Dates must lie between 2025-12-01 and 2031-12-01"
OFFSET = "without an offset"
HUGE_NUMBER = "1" * 40


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def field_errors(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "ValidationFailed", result
    return {error["field"]: error["message"] for error in result["errors"]}


def refuses_the_offset(body: dict[str, Any], root: str) -> bool:
    """A typed ValidationFailed on startTime, or the Time scalar's BAD_USER_INPUT."""
    if "errors" in body:
        return codes(body) == ["BAD_USER_INPUT"] and OFFSET in body["errors"][0]["message"]
    return OFFSET in field_errors(body["data"][root]).get("startTime", "")


# A time with an offset


async def test_a_new_schedule_at_a_time_with_an_offset_is_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    variables = example_variables("CreateSchedules")
    variables["input"]["startTime"] = "18:00:00+05:30"
    # when
    body = await gql(CREATE_SCHEDULES, variables, token=token)
    # then
    assert refuses_the_offset(body, "createSchedules"), body


async def test_moving_a_schedule_to_a_time_with_an_offset_is_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor)
    await session.commit()
    # when
    body = await gql(
        UPDATE_SCHEDULE,
        {"id": str(schedule.id), "input": {"startTime": "18:00:00+05:30", "endTime": None}},
        token=token,
    )
    # then
    assert refuses_the_offset(body, "updateSchedule"), body
    await session.refresh(schedule)
    assert schedule.start_time == time(18, 0)


@strawberry.type
class _Echo:
    @strawberry.field
    def echo(self, at: time) -> time:
        return at


async def test_the_time_scalar_refuses_an_offset_and_keeps_wall_clock_times() -> None:
    # given a schema with the override, as build_schema passes it
    echo = strawberry.Schema(query=_Echo, scalar_overrides={time: NaiveTime})
    document = "query ($at: Time!) { echo(at: $at) }"
    # when
    plain = await echo.execute(document, variable_values={"at": "18:30"})
    offset = await echo.execute(document, variable_values={"at": "18:30:00+05:30"})
    utc = await echo.execute(document, variable_values={"at": "18:30Z"})
    # then
    assert plain.errors is None
    assert plain.data == {"echo": "18:30:00"}
    for refused in (offset, utc):
        assert refused.data is None
        assert refused.errors is not None
        assert OFFSET in refused.errors[0].message


# Unicode digits and numbers no column holds


@pytest.mark.parametrize("raw", ["³", "٣", HUGE_NUMBER])
async def test_a_category_id_that_is_no_number_of_ours_matches_nothing(
    gql: GraphQLClient, raw: str
) -> None:
    # given
    search = example_variables("SearchDoctors")
    search["filter"]["categoryIds"] = [raw]
    sessions = example_variables("FindSessions")
    sessions["filter"]["categoryIds"] = [raw]
    # when
    found_doctors = await gql(SEARCH, search)
    found_sessions = await gql(FIND_SESSIONS, sessions)
    # then
    assert "errors" not in found_doctors, found_doctors
    assert found_doctors["data"]["doctors"]["edges"] == []
    assert "errors" not in found_sessions, found_sessions
    assert found_sessions["data"]["findSessions"]["edges"] == []


@pytest.mark.parametrize("raw", ["³", HUGE_NUMBER])
async def test_a_doctors_category_id_that_is_no_number_of_ours_is_no_such_category(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, raw: str
) -> None:
    # given
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    registration = example_variables("RegisterDoctor")
    registration["input"]["categoryId"] = raw
    profile = example_variables("UpdateMyProfile")
    profile["input"]["categoryId"] = raw
    # when
    registered = await gql(REGISTER, registration)
    updated = await gql(UPDATE_PROFILE, profile, token=token)
    # then
    for body, root in ((registered, "registerDoctor"), (updated, "updateMyProfile")):
        assert "errors" not in body, body
        assert field_errors(body["data"][root])["categoryId"] == "There is no such category."


@pytest.mark.parametrize("public_id", ["MMA-³", "MMA-٣", f"MMA-{HUGE_NUMBER}"])
async def test_an_appointment_id_of_odd_digits_is_not_found(
    gql: GraphQLClient, public_id: str
) -> None:
    # given
    view = example_variables("MyAppointment") | {"publicId": public_id}
    cancel = example_variables("CancelMyAppointment") | {"publicId": public_id}
    # when
    viewed = await gql(MY_APPOINTMENT, view)
    cancelled = await gql(CANCEL_MINE, cancel)
    # then
    assert viewed == {"data": {"myAppointment": None}}
    assert "errors" not in cancelled, cancelled
    assert cancelled["data"]["cancelMyAppointment"]["__typename"] == "NotFound"


async def test_a_doctor_id_of_odd_digits_is_no_doctor(gql: GraphQLClient) -> None:
    # given
    variables = example_variables("DoctorPage") | {"publicId": "MMD-³"}
    # when
    body = await gql(DOCTOR_PAGE, variables)
    # then
    assert body == {"data": {"doctor": None}}


async def test_a_cursor_of_odd_digits_is_bad_user_input(gql: GraphQLClient) -> None:
    # given a cursor shaped like ours ("o:<offset>", base64) around a superscript digit
    variables = example_variables("SearchDoctors") | {"after": "bzrCsw=="}
    # when
    body = await gql(SEARCH, variables)
    # then
    assert codes(body) == ["BAD_USER_INPUT"]


# Time zones zoneinfo cannot even look up


@pytest.mark.parametrize("zone", ["A" * 60_000, "a" * 300, "../../etc/passwd", "Asia/Kolkata\x00"])
async def test_a_time_zone_that_is_no_iana_name_is_a_field_problem(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, zone: str
) -> None:
    # given
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    registration = example_variables("RegisterDoctor")
    registration["input"]["timeZone"] = zone
    profile = example_variables("UpdateMyProfile")
    profile["input"]["timeZone"] = zone
    # when
    registered = await gql(REGISTER, registration)
    updated = await gql(UPDATE_PROFILE, profile, token=token)
    # then
    for body, root in ((registered, "registerDoctor"), (updated, "updateMyProfile")):
        assert "errors" not in body, body
        assert "IANA" in field_errors(body["data"][root])["timeZone"]


# Dates at the ends of the calendar, and the window


async def test_session_lists_far_from_today_are_bad_user_input(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await factories.make_schedule(session, doctor)
    await session.commit()
    end_of_time = {"from": "9999-12-30", "to": "9999-12-31"}
    start_of_time = {"from": "0001-01-01", "to": "0001-01-02"}
    past_the_window = {"from": "2031-11-30", "to": "2031-12-02"}
    find = example_variables("FindSessions")
    # when
    bodies = [
        await gql(DOCTOR_PAGE, {"publicId": doctor.public_id, **end_of_time}),
        await gql(MY_CALENDAR, end_of_time, token=token),
        await gql(FIND_SESSIONS, {"filter": {**find["filter"], **end_of_time}}),
        await gql(FIND_SESSIONS, {"filter": {**find["filter"], **start_of_time}}),
        await gql(FIND_SESSIONS, {"filter": {**find["filter"], **past_the_window}}),
    ]
    # then
    for body in bodies:
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert WINDOW in body["errors"][0]["message"]


async def test_sessions_at_the_edges_of_the_window_are_listed(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    first = await gql(MY_CALENDAR, {"from": "2025-12-01", "to": "2025-12-31"}, token=token)
    last = await gql(MY_CALENDAR, {"from": "2031-11-01", "to": "2031-12-01"}, token=token)
    # then
    assert first == {"data": {"me": {"sessions": []}}}
    assert last == {"data": {"me": {"sessions": []}}}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2031-12-04"])
async def test_a_booking_far_from_today_is_a_field_problem(
    gql: GraphQLClient, session: AsyncSession, day: str
) -> None:
    # given a Thursday schedule (2031-12-04 is a Thursday, three days past the window)
    schedule = await factories.make_schedule(session, await factories.make_doctor(session))
    await session.commit()
    variables = example_variables("BookAppointment")
    variables["input"].update(scheduleId=str(schedule.id), date=day, idempotencyKey=None)
    # when
    body = await gql(BOOK, variables)
    # then
    assert "errors" not in body, body
    assert WINDOW in field_errors(body["data"]["bookAppointment"])["date"]


@pytest.mark.parametrize(
    ("start", "end"), [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")]
)
async def test_a_vacation_far_from_today_is_refused(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    start: str,
    end: str,
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await factories.make_schedule(session, doctor)
    await session.commit()
    planned = example_variables("CreateVacation")
    planned["input"].update(start=start, end=end)
    impact = example_variables("VacationImpact")
    impact["input"].update(start=start, end=end, scheduleIds=None)
    # when
    created = await gql(CREATE_VACATION, planned, token=token)
    dry_run = await gql(VACATION_IMPACT, impact, token=token)
    # then
    problems = field_errors(created["data"]["createVacation"])
    assert WINDOW in problems["start"]
    assert WINDOW in problems["end"]
    assert await session.scalar(select(func.count()).select_from(Vacation)) == 0
    assert codes(dry_run) == ["BAD_USER_INPUT"]
    assert WINDOW in dry_run["errors"][0]["message"]


async def test_a_vacation_ending_on_the_last_day_of_the_window_is_saved(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await factories.make_schedule(session, doctor)
    await session.commit()
    planned = example_variables("CreateVacation")
    planned["input"].update(start="2031-11-25", end="2031-12-01")
    # when
    body = await gql(CREATE_VACATION, planned, token=token)
    # then
    saved = body["data"]["createVacation"]
    assert saved["__typename"] == "VacationSaved", saved
    assert date.fromisoformat(saved["vacation"]["end"]) == date(2031, 12, 1)


# A null for an argument with a default


async def test_a_null_order_orders_the_directory_by_relevance(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    await factories.make_doctor(session)
    await session.commit()
    search = example_variables("SearchDoctors") | {"filter": None, "first": 5}
    # when
    by_null = await gql(SEARCH, search | {"orderBy": None})
    by_relevance = await gql(SEARCH, search | {"orderBy": "RELEVANCE"})
    # then
    assert "errors" not in by_null, by_null
    assert by_null == by_relevance
    assert len(by_null["data"]["doctors"]["edges"]) == 1
