"""Each session-day mutation's answers, every refusal included: who, which day, which state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, DoctorStatus
from db.models import Appointment, LiveSession
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import error_code, token_for
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule, make_vacation
from tests.live_support import DAY, STARTS, Desk, live_operation, on_the_days_weekday, open_desk

DAY_ONLY = ["StartSession", "CallNext", "EndSession"]
ALL = [*DAY_ONLY, "AnnounceDelay"]
DELAY = {"minutes": 40, "notice": "Stuck in surgery"}


def extra(name: str) -> dict[str, object]:
    return DELAY if name == "AnnounceDelay" else {}


async def live_rows(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(LiveSession)) or 0


@pytest.mark.parametrize("name", ALL)
async def test_another_doctors_session_is_not_found(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, name: str
) -> None:
    # given a second doctor asking about the first one's session
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    other = await make_doctor(session)
    await session.commit()
    intruder = Desk(gql, other, desk.schedule, settings, clock)
    # when
    body = await intruder.do(name, **extra(name))
    # then
    assert body["__typename"] == "NotFound"
    assert await live_rows(session) == 0


@pytest.mark.parametrize("name", ALL)
async def test_a_date_the_schedule_has_no_session_on_is_not_found(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, name: str
) -> None:
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    desk.day = DAY + timedelta(days=1)
    assert (await desk.do(name, **extra(name)))["__typename"] == "NotFound"


@pytest.mark.parametrize(
    "far",
    [on_the_days_weekday(date(1, 1, 1), 1), on_the_days_weekday(date(9999, 12, 31), -1)],
    ids=["year 1", "year 9999"],
)
@pytest.mark.parametrize("name", [*ALL, "AddWalkIn"])
async def test_a_date_no_session_can_fall_on_is_not_found(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    name: str,
    far: date,
) -> None:
    # given the doctor's own weekly schedule, asked about its weekday far outside any window
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    desk.day = far
    # when
    if name == "AddWalkIn":
        body = await desk.walk_in("Gopal Das")
    else:
        body = await desk.do(name, **extra(name))
    # then
    assert body["__typename"] == "NotFound"
    assert await live_rows(session) == 0


def variables_of(name: str, desk: Desk) -> dict[str, object]:
    if name == "AddWalkIn":
        walk_in = {"patientName": "Gopal Das", "patientAge": 61, "patientPhone": None}
        return {"input": {"scheduleId": str(desk.schedule.id), "date": DAY.isoformat()} | walk_in}
    return {"scheduleId": str(desk.schedule.id), "date": DAY.isoformat()} | extra(name)


@pytest.mark.parametrize("name", [*ALL, "AddWalkIn"])
async def test_a_suspended_doctor_is_forbidden_and_the_public_unauthenticated(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, name: str
) -> None:
    # given
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    variables = variables_of(name, desk)
    token = token_for(desk.doctor, settings=settings, clock=clock)
    anonymous = await gql(live_operation(name), variables)
    desk.doctor.status = DoctorStatus.SUSPENDED
    await session.commit()
    # when
    suspended = await gql(live_operation(name), variables, token=token)
    # then
    assert error_code(anonymous) == "UNAUTHENTICATED"
    assert error_code(suspended) == "FORBIDDEN"
    assert await live_rows(session) == 0
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 0


async def test_starting_is_only_for_the_sessions_own_day(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the evening before and the morning after, in Kolkata
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    answers = []
    for moment in (STARTS - timedelta(hours=19), STARTS + timedelta(hours=12)):
        clock.set(moment)
        answers.append(await desk.do("StartSession"))
    # when: 00:05 on the day itself, well before its 18:00
    clock.set(STARTS - timedelta(hours=17, minutes=55))
    early = await desk.do("StartSession")
    # then
    assert [answer["__typename"] for answer in answers] == ["NotAllowed", "NotAllowed"]
    assert answers[0]["message"] == "A session can only be run on its own day."
    assert early["live"]["state"] == "RUNNING"


async def test_a_session_on_vacation_or_of_an_inactive_schedule_cannot_start(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    await make_vacation(session, desk.doctor, DAY, DAY, schedules=[desk.schedule])
    inactive = await make_schedule(
        session,
        desk.doctor,
        start_time=desk.schedule.start_time.replace(hour=10),
        end_time=desk.schedule.start_time.replace(hour=11),
        is_active=False,
        deactivated_at=STARTS - timedelta(days=1),
    )
    await session.commit()
    # when
    on_vacation = await desk.do("StartSession")
    stopped = await Desk(gql, desk.doctor, inactive, settings, clock).do("StartSession")
    walk_in = await desk.walk_in("Gopal Das")
    # then
    assert on_vacation == {
        "__typename": "NotAllowed",
        "message": "You are on vacation on this date.",
    }
    assert stopped == {"__typename": "NotAllowed", "message": "This schedule is no longer active."}
    assert walk_in["__typename"] == "NotAllowed"
    assert await live_rows(session) == 0


async def test_starting_twice_changes_nothing_and_an_ended_session_stays_ended(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    first = await desk.do("StartSession")
    clock.advance(timedelta(minutes=5))
    # when
    again = await desk.do("StartSession")
    ended = await desk.do("EndSession")
    ended_again = await desk.do("EndSession")
    restart = await desk.do("StartSession")
    call = await desk.do("CallNext")
    delay = await desk.do("AnnounceDelay", **DELAY)
    # then
    assert again == first
    assert ended_again == ended
    assert restart == {"__typename": "NotAllowed", "message": "This session has ended."}
    assert call == {"__typename": "NotAllowed", "message": "This session has ended."}
    assert delay == {"__typename": "NotAllowed", "message": "This session has ended."}


async def test_calling_and_ending_need_a_started_session(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    assert await desk.do("CallNext") == {"__typename": "NotAllowed", "message": "Start it first."}
    assert await desk.do("EndSession") == {
        "__typename": "NotAllowed",
        "message": "This session has not started.",
    }
    assert await live_rows(session) == 0


async def test_a_delay_can_be_announced_from_booking_open_and_zero_clears_it(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given booking opens seven days before (the schedule's default), at midnight in Kolkata
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    opens = datetime(2026, 11, 25, 18, 30, tzinfo=UTC)
    clock.set(opens - timedelta(minutes=1))
    too_early = await desk.do("AnnounceDelay", **DELAY)
    clock.set(STARTS - timedelta(days=2))
    # when
    announced = await desk.do("AnnounceDelay", **DELAY)
    cleared = await desk.do("AnnounceDelay", minutes=0, notice=None)
    clock.set(STARTS + timedelta(days=1))
    too_late = await desk.do("AnnounceDelay", **DELAY)
    # then
    assert too_early["__typename"] == "NotAllowed"
    assert announced == {
        "__typename": "LiveSessionChanged",
        "live": {"state": "NOT_STARTED", "delayMinutes": 40, "notice": "Stuck in surgery"},
    }
    assert cleared["live"] == {"state": "NOT_STARTED", "delayMinutes": 0, "notice": None}
    assert too_late == {"__typename": "NotAllowed", "message": "This session's day is over."}


@pytest.mark.parametrize(
    ("minutes", "notice", "field"),
    [(-1, None, "minutes"), (721, None, "minutes"), (10, "x" * 281, "notice")],
)
async def test_a_delay_out_of_range_is_a_field_problem(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    minutes: int,
    notice: str | None,
    field: str,
) -> None:
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    answer = await desk.do("AnnounceDelay", minutes=minutes, notice=notice)
    assert answer["__typename"] == "ValidationFailed"
    assert [error["field"] for error in answer["errors"]] == [field]
    assert await live_rows(session) == 0


async def test_a_walk_in_takes_the_next_number_and_needs_no_phone(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given two bookings
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    for _ in range(2):
        await make_appointment(session, desk.schedule, DAY)
    await session.commit()
    # when
    without_phone = await desk.walk_in("  Gopal   Das ", age=61)
    with_phone = await desk.walk_in("Mina Roy", phone="9830012345")
    # then
    assert without_phone["appointment"] == {
        "id": without_phone["appointment"]["id"],
        "queueNumber": 3,
        "patientName": "Gopal Das",
        "status": "ARRIVED",
    }
    assert with_phone["appointment"]["queueNumber"] == 4
    phones = (
        await session.scalars(
            select(Appointment.patient_phone)
            .where(Appointment.is_walk_in)
            .order_by(Appointment.queue_number)
        )
    ).all()
    assert phones == [None, "+919830012345"]


async def test_a_walk_in_with_bad_fields_is_told_each_problem(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    answer = await desk.walk_in(" ", age=131, phone="12")
    assert answer["__typename"] == "ValidationFailed"
    assert [error["field"] for error in answer["errors"]] == [
        "patientName",
        "patientAge",
        "patientPhone",
    ]


async def test_a_walk_in_into_a_full_session_is_refused_with_the_session(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a two-seat session, both booked
    desk = await open_desk(gql, session, settings=settings, clock=clock, patient_limit=2)
    for _ in range(2):
        await make_appointment(session, desk.schedule, DAY)
    await session.commit()
    # when
    answer = await desk.walk_in("Gopal Das")
    # then
    assert answer == {
        "__typename": "SessionFull",
        "message": "This session is full.",
        "session": {"date": "2026-12-03", "capacity": 2},
    }
    assert await live_rows(session) == 0


async def test_a_walk_in_is_only_for_the_sessions_day(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    clock.set(STARTS - timedelta(days=1))
    assert (await desk.walk_in("Gopal Das"))["__typename"] == "NotAllowed"


async def test_only_call_next_puts_a_patient_in_consultation(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given one arrived patient and one called in
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    waiting, inside = [
        await make_appointment(session, desk.schedule, DAY, status=AppointmentStatus.ARRIVED)
        for _ in range(2)
    ]
    await session.commit()
    await desk.do("StartSession")
    await desk.do("CallNext")  # calls number 1: `waiting` is inside now
    # when
    refused = await desk.set_status(inside, "IN_CONSULTATION")
    done = await desk.set_status(waiting, "COMPLETED")
    board = (await desk.send("LiveSession"))["data"]["liveSession"]
    # then: completing the patient inside clears the board's "now serving"
    assert refused == "NotAllowed"
    assert done == "AppointmentUpdated"
    assert board["nowServing"] is None
    completed = await session.scalar(
        select(Appointment.completed_at)
        .where(Appointment.id == waiting.id)
        .execution_options(populate_existing=True)
    )
    assert completed == clock.now()


async def test_a_doctor_not_yet_activated_cannot_run_a_session(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    desk.doctor.status = DoctorStatus.PENDING_ACTIVATION
    await session.commit()
    # when
    answer = await desk.do("StartSession")
    # then
    assert answer["__typename"] == "NotAllowed"
    assert await live_rows(session) == 0


async def test_an_action_that_changes_nothing_writes_nothing(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a session nobody has touched
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    # when "no delay" is announced for it
    answer = await desk.do("AnnounceDelay", minutes=0, notice=None)
    # then
    assert answer["live"] == {"state": "NOT_STARTED", "delayMinutes": 0, "notice": None}
    assert await live_rows(session) == 0
