"""Creating schedules: one per weekday, all-or-nothing or what fits, conflicts reported per week."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import LAST_WEEK, DoctorStatus
from db.models import Schedule
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_doctor, make_schedule
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor

CREATE_SCHEDULES = operation("CreateSchedules")
MONDAY, THURSDAY, SATURDAY = 0, 3, 5


def schedules_input(**changes: Any) -> dict[str, Any]:
    variables = example_variables("CreateSchedules")
    return {"input": {**variables["input"], **changes}}


async def count_schedules(session: AsyncSession, doctor_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Schedule).where(Schedule.doctor_id == doctor_id)
        )
        or 0
    )


async def test_the_frontends_example_creates_one_schedule_per_weekday(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    body = await gql(CREATE_SCHEDULES, example_variables("CreateSchedules"), token=token)
    # then
    result = body["data"]["createSchedules"]
    assert result["__typename"] == "SchedulesCreated"
    assert result["conflicts"] == []
    assert [(s["weekday"], s["weeksOfMonth"]) for s in result["created"]] == [
        ("MONDAY", ["SECOND", "FOURTH"]),
        ("THURSDAY", ["SECOND", "FOURTH"]),
    ]
    assert {(s["startTime"], s["endTime"]) for s in result["created"]} == {("18:00:00", "20:30:00")}
    assert await count_schedules(session, doctor.id) == 2


async def test_all_or_nothing_creates_nothing_and_names_each_conflicting_week(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a Thursday evening chamber on the last Thursday
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    existing = await make_schedule(
        session, doctor, weekday=THURSDAY, weeks_of_month=[LAST_WEEK], start_time=time(19)
    )
    await session.commit()
    # when asking for 2nd and 4th Mondays and Thursdays, 18:00-20:30
    body = await gql(CREATE_SCHEDULES, schedules_input(), token=token)
    # then the 4th Thursday can be the last one: nothing is created
    result = body["data"]["createSchedules"]
    assert result["created"] == []
    assert result["conflicts"] == [
        {
            "weekday": "THURSDAY",
            "weekOfMonth": "FOURTH",
            "conflictsWith": {
                "id": str(existing.id),
                "weekday": "THURSDAY",
                "weeksOfMonth": ["LAST"],
                "startTime": "19:00:00",
                "endTime": "20:00:00",
            },
        }
    ]
    assert await count_schedules(session, doctor.id) == 1


async def test_create_what_fits_keeps_the_weekdays_without_conflicts(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await make_schedule(session, doctor, weekday=THURSDAY, start_time=time(20), end_time=time(21))
    await session.commit()
    # when
    body = await gql(CREATE_SCHEDULES, schedules_input(allOrNothing=False), token=token)
    # then
    result = body["data"]["createSchedules"]
    assert [s["weekday"] for s in result["created"]] == ["MONDAY"]
    assert [(c["weekday"], c["weekOfMonth"]) for c in result["conflicts"]] == [
        ("THURSDAY", "SECOND"),
        ("THURSDAY", "FOURTH"),
    ]
    assert await count_schedules(session, doctor.id) == 2


async def test_an_every_week_schedule_is_reported_against_the_weeks_it_meets(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the fifth Saturday and every Saturday, both at 10:00
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    first = await gql(
        CREATE_SCHEDULES,
        schedules_input(
            weekdays=["SATURDAY"], weeksOfMonth=["FIFTH"], startTime="10:00", endTime=None
        ),
        token=token,
    )
    every_week = await gql(
        CREATE_SCHEDULES,
        schedules_input(weekdays=["SATURDAY"], weeksOfMonth=[], startTime="10:30", endTime="12:00"),
        token=token,
    )
    last_week = await gql(
        CREATE_SCHEDULES,
        schedules_input(
            weekdays=["SATURDAY"], weeksOfMonth=["LAST"], startTime="10:59", endTime="12:00"
        ),
        token=token,
    )
    # then the open-ended 10:00 occupies 10:00-11:00
    assert len(first["data"]["createSchedules"]["created"]) == 1
    assert [
        (c["weekday"], c["weekOfMonth"]) for c in every_week["data"]["createSchedules"]["conflicts"]
    ] == [("SATURDAY", "FIFTH")]
    assert [
        (c["weekday"], c["weekOfMonth"]) for c in last_week["data"]["createSchedules"]["conflicts"]
    ] == [("SATURDAY", "LAST")]


async def test_two_every_week_schedules_conflict_with_no_particular_week(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await make_schedule(session, doctor, weekday=MONDAY, weeks_of_month=[], start_time=time(18))
    await session.commit()
    # when
    body = await gql(
        CREATE_SCHEDULES, schedules_input(weekdays=["MONDAY"], weeksOfMonth=None), token=token
    )
    # then
    conflicts = body["data"]["createSchedules"]["conflicts"]
    assert [(c["weekday"], c["weekOfMonth"]) for c in conflicts] == [("MONDAY", None)]


async def test_schedules_that_never_share_a_date_or_an_hour_do_not_conflict(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the 3rd Monday (never the last), and an every-Thursday morning chamber
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await make_schedule(session, doctor, weekday=MONDAY, weeks_of_month=[3], start_time=time(18))
    await make_schedule(session, doctor, weekday=THURSDAY, start_time=time(9), end_time=time(18))
    await session.commit()
    # when the evening 2nd/4th Monday and Thursday are added
    body = await gql(CREATE_SCHEDULES, schedules_input(), token=token)
    # then
    result = body["data"]["createSchedules"]
    assert result["conflicts"] == []
    assert len(result["created"]) == 2


async def test_different_doctors_never_conflict(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given another doctor at the same hours on the same days
    other = await make_doctor(session)
    await make_schedule(session, other, weekday=MONDAY, weeks_of_month=[], start_time=time(18))
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    body = await gql(CREATE_SCHEDULES, schedules_input(), token=token)
    # then
    assert body["data"]["createSchedules"]["conflicts"] == []
    assert len(body["data"]["createSchedules"]["created"]) == 2


async def test_a_pending_doctor_cannot_create_schedules_yet(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(
        session, settings=settings, clock=clock, status=DoctorStatus.PENDING_ACTIVATION
    )
    # when
    body = await gql(CREATE_SCHEDULES, schedules_input(), token=token)
    # then
    assert body["data"]["createSchedules"]["__typename"] == "NotAllowed"
    assert await count_schedules(session, doctor.id) == 0


async def test_a_suspended_doctor_is_forbidden_to_create_schedules(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(
        session, settings=settings, clock=clock, status=DoctorStatus.SUSPENDED
    )
    # when
    body = await gql(CREATE_SCHEDULES, schedules_input(), token=token)
    # then
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
    assert await count_schedules(session, doctor.id) == 0


async def test_invalid_fields_are_all_reported(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    body = await gql(
        CREATE_SCHEDULES,
        schedules_input(
            weekdays=["MONDAY", "MONDAY"],
            startTime="18:00",
            endTime="17:00",
            clinicName=" ",
            medicalShop=None,
            patientLimit=0,
            fee=-1,
            contactPhone="12",
        ),
        token=token,
    )
    # then
    result = body["data"]["createSchedules"]
    assert result["__typename"] == "ValidationFailed"
    assert {error["field"] for error in result["errors"]} == {
        "weekdays",
        "endTime",
        "clinicName",
        "patientLimit",
        "fee",
        "contactPhone",
    }


async def test_a_booking_window_that_closes_before_it_opens_is_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when booking would open at midnight and close two hours before a 01:00 start
    body = await gql(
        CREATE_SCHEDULES,
        schedules_input(startTime="01:00", endTime="02:00", bookingOpensDaysBefore=0),
        token=token,
    )
    # then
    result = body["data"]["createSchedules"]
    assert [error["field"] for error in result["errors"]] == ["bookingClosesHoursBefore"]


async def test_creating_schedules_needs_a_signed_in_doctor(gql: GraphQLClient) -> None:
    # when
    body = await gql(CREATE_SCHEDULES, schedules_input())
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
