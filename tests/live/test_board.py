"""The public board and the patient's place: what anyone and the patient read of a session day."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, DoctorStatus, LiveState
from db.models import LiveSession
from resolvers.platform.clock import FixedClock
from schema.live.types import LiveSession as LiveSessionType
from settings import Settings
from tests.accounts_support import error_code
from tests.conftest import GraphQLClient, StatementLog
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.live_support import DAY, STARTS, live_operation, on_the_days_weekday
from tests.operations import operation
from tests.scheduling_support import signed_in_doctor

LIVE_SESSION = live_operation("LiveSession")
MY_PLACE = live_operation("MyPlace")
TOKEN = "a-manage-token"


QUEUE = """
query Queue($scheduleId: ID!, $date: Date!) {
  sessionAppointments(scheduleId: $scheduleId, date: $date) {
    queueNumber
    position
    estimatedCallAt
    live { state nowServing waitingCount }
  }
}
"""

Counter = Callable[..., AbstractContextManager[StatementLog]]


async def test_the_board_of_a_session_not_yet_started(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two bookings, one cancelled
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, consult_minutes=12)
    first = await make_appointment(session, schedule, DAY)
    await make_appointment(
        session,
        schedule,
        DAY,
        status=AppointmentStatus.CANCELLED_BY_PATIENT,
        cancelled_at=STARTS - timedelta(days=1),
    )
    await make_appointment(session, schedule, DAY)
    await session.commit()
    # when
    body = await gql(LIVE_SESSION, {"scheduleId": str(schedule.id), "date": DAY.isoformat()})
    # then
    board = body["data"]["liveSession"]
    assert board["state"] == "NOT_STARTED"
    assert board["startedAt"] is None
    assert board["delayMinutes"] == 0
    assert board["nowServing"] is None
    assert board["waitingCount"] == 2
    assert board["averageConsultMinutes"] == 12.0
    assert board["updatedAt"] is not None
    assert first.patient_name not in str(body)
    assert str(first.patient_phone) not in str(body)


async def test_no_board_for_an_unknown_schedule_a_wrong_day_or_a_suspended_doctor(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor)
    suspended = await make_doctor(session, status=DoctorStatus.SUSPENDED)
    hidden = await make_schedule(session, suspended)
    await session.commit()
    asked = [
        {"scheduleId": "999999", "date": DAY.isoformat()},
        {"scheduleId": "nonsense", "date": DAY.isoformat()},
        {"scheduleId": str(schedule.id), "date": (DAY + timedelta(days=1)).isoformat()},
        {"scheduleId": str(hidden.id), "date": DAY.isoformat()},
    ]
    # when
    answers = [await gql(LIVE_SESSION, variables) for variables in asked]
    # then
    assert [answer["data"]["liveSession"] for answer in answers] == [None] * 4


async def test_the_patient_sees_their_place_and_estimate(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given: the session runs 20 minutes late; 1 is inside, 2 arrived, 3 (ours) booked
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor)
    await make_appointment(
        session, schedule, DAY, status=AppointmentStatus.IN_CONSULTATION, called_at=STARTS
    )
    await make_appointment(session, schedule, DAY, status=AppointmentStatus.ARRIVED)
    mine = await make_appointment(session, schedule, DAY, manage_token=TOKEN)
    session.add(
        LiveSession(
            schedule_id=schedule.id,
            session_date=DAY,
            state=LiveState.RUNNING,
            started_at=STARTS,
            delay_minutes=20,
            notice="Traffic",
            now_serving=1,
            updated_at=STARTS,
        )
    )
    await session.commit()
    clock.set(STARTS + timedelta(minutes=5))
    # when
    body = await gql(MY_PLACE, {"publicId": mine.public_id, "manageToken": TOKEN})
    # then: two ahead at the default ten minutes, counted from start + delay
    assert body["data"]["myAppointment"] == {
        "publicId": mine.public_id,
        "status": "BOOKED",
        "queueNumber": 3,
        "position": 2,
        "estimatedCallAt": "2026-12-03T18:40:00+05:30",
        "live": {"state": "RUNNING", "nowServing": 1, "delayMinutes": 20, "notice": "Traffic"},
    }


@pytest.mark.parametrize("patients", [2, 12])
async def test_a_doctors_queue_with_live_fields_costs_the_same_for_any_size(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    count_statements: Counter,
    patients: int,
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, patient_limit=None)
    for _ in range(patients):
        await make_appointment(session, schedule, DAY)
    await session.commit()
    # when
    with count_statements() as log:
        body = await gql(
            QUEUE, {"scheduleId": str(schedule.id), "date": DAY.isoformat()}, token=token
        )
    # then
    listed = body["data"]["sessionAppointments"]
    assert [item["position"] for item in listed] == list(range(patients))
    assert all(item["live"]["waitingCount"] == patients for item in listed)
    assert log.count <= 7, log.statements


UPDATE_SCHEDULE = operation("UpdateSchedule")


async def test_the_schedules_consultation_length_is_set_through_its_edit(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor)
    await session.commit()
    variables = {"scheduleId": str(schedule.id), "date": DAY.isoformat()}
    # when
    refused = await gql(
        UPDATE_SCHEDULE, {"id": str(schedule.id), "input": {"consultMinutes": 0}}, token=token
    )
    changed = await gql(
        UPDATE_SCHEDULE, {"id": str(schedule.id), "input": {"consultMinutes": 7}}, token=token
    )
    board = await gql(LIVE_SESSION, variables)
    # then
    assert refused["data"]["updateSchedule"]["errors"][0]["field"] == "consultMinutes"
    assert changed["data"]["updateSchedule"]["__typename"] == "ScheduleUpdated"
    assert board["data"]["liveSession"]["averageConsultMinutes"] == 7.0


DOCTOR_SESSIONS = """
query DoctorSessions($publicId: String!) {
  doctor(publicId: $publicId) {
    sessions(from: "2026-12-01", to: "2026-12-31") {
      date
      liveSession { state waitingCount nowServing }
    }
  }
}
"""


@pytest.mark.parametrize("chambers", [1, 4])
async def test_a_doctors_sessions_with_their_boards_cost_the_same_for_any_number(
    gql: GraphQLClient, session: AsyncSession, count_statements: Counter, chambers: int
) -> None:
    # given chambers on different weekdays, a booking in each one's first session
    doctor = await make_doctor(session)
    for weekday in range(chambers):
        schedule = await make_schedule(session, doctor, weekday=weekday)
        first = next(
            day for day in (DAY + timedelta(days=n) for n in range(7)) if day.weekday() == weekday
        )
        await make_appointment(session, schedule, first, patient_name="Secret Name")
    await session.commit()
    # when
    with count_statements() as log:
        body = await gql(DOCTOR_SESSIONS, {"publicId": doctor.public_id})
    # then
    listed = body["data"]["doctor"]["sessions"]
    assert sum(item["liveSession"]["waitingCount"] for item in listed) == chambers
    assert all(item["liveSession"]["state"] == "NOT_STARTED" for item in listed)
    assert "Secret Name" not in str(body)
    assert log.count <= 8, log.statements


def test_the_public_board_has_no_field_for_a_name_or_a_phone() -> None:
    fields = {field.name for field in dataclasses.fields(LiveSessionType)}
    assert fields == {
        "state",
        "started_at",
        "ended_at",
        "delay_minutes",
        "notice",
        "now_serving",
        "waiting_count",
        "average_consult_minutes",
        "updated_at",
    }


@pytest.mark.parametrize("patients", [1, 15])
async def test_the_patients_place_costs_the_same_in_any_queue(
    gql: GraphQLClient, session: AsyncSession, count_statements: Counter, patients: int
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, patient_limit=None)
    for _ in range(patients):
        await make_appointment(session, schedule, DAY)
    mine = await make_appointment(session, schedule, DAY, manage_token=TOKEN)
    await session.commit()
    # when
    with count_statements() as log:
        body = await gql(MY_PLACE, {"publicId": mine.public_id, "manageToken": TOKEN})
    # then
    assert body["data"]["myAppointment"]["position"] == patients
    assert log.count <= 6, log.statements


async def test_a_board_far_outside_the_date_window_is_bad_input(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a weekly schedule, asked about its weekday in year 1 and in year 9999
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor)
    await session.commit()
    far = [on_the_days_weekday(date(1, 1, 1), 1), on_the_days_weekday(date(9999, 12, 31), -1)]
    # when
    answers = [
        await gql(LIVE_SESSION, {"scheduleId": str(schedule.id), "date": day.isoformat()})
        for day in far
    ]
    # then
    assert [error_code(answer) for answer in answers] == ["BAD_USER_INPUT"] * 2
