"""Editing a schedule re-checks conflicts and tells booked patients; deleting deactivates it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Appointment, Schedule, SessionSeats
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor, sms_to

UPDATE = operation("UpdateSchedule")
DELETE = operation("DeleteSchedule")
THURSDAY = 3
DEC_3, DEC_10 = date(2026, 12, 3), date(2026, 12, 10)


def update_of(schedule: Schedule, **changes: Any) -> dict[str, Any]:
    variables = example_variables("UpdateSchedule")
    return {"id": str(schedule.id), "input": {**variables["input"], **changes}}


async def test_the_frontends_edit_moves_the_time_and_tells_booked_patients(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given two future bookings, one past one and one cancelled (every Thursday, 18:00)
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY, weeks_of_month=[])
    first = await make_appointment(session, schedule, DEC_3)
    second = await make_appointment(session, schedule, DEC_10)
    past = await make_appointment(session, schedule, date(2026, 11, 26))
    await make_appointment(
        session,
        schedule,
        DEC_10,
        status=AppointmentStatus.CANCELLED_BY_PATIENT,
        cancelled_at=clock.now(),
    )
    await session.commit()
    # when
    body = await gql(UPDATE, update_of(schedule, weeksOfMonth=[]), token=token)
    # then
    assert body["data"]["updateSchedule"] == {
        "__typename": "ScheduleUpdated",
        "schedule": {
            "id": str(schedule.id),
            "startTime": "18:30:00",
            "endTime": "21:00:00",
            "patientLimit": 25,
        },
        "notifiedAppointments": 2,
    }
    [to_first] = await sms_to(session, first.patient_phone)
    assert "18:30" in to_first
    assert len(await sms_to(session, second.patient_phone)) == 1
    assert await sms_to(session, past.patient_phone) == []


async def test_an_edit_that_keeps_time_and_place_notifies_nobody(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    booked = await make_appointment(session, schedule, DEC_3)
    await session.commit()
    # when only the fee and the limit change (omitted fields stay as they are)
    body = await gql(
        UPDATE, {"id": str(schedule.id), "input": {"fee": 700, "patientLimit": 30}}, token=token
    )
    # then
    assert body["data"]["updateSchedule"]["notifiedAppointments"] == 0
    assert body["data"]["updateSchedule"]["schedule"]["startTime"] == "18:00:00"
    assert await sms_to(session, booked.patient_phone) == []


async def test_an_edit_is_checked_against_the_other_schedules_but_not_itself(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given an 18:00-20:00 Thursday and a 21:00-22:00 Thursday
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    later = await make_schedule(
        session, doctor, weekday=THURSDAY, start_time=time(21), end_time=time(22)
    )
    await session.commit()
    # when the first grows into itself, then into the other
    itself = await gql(UPDATE, {"id": str(schedule.id), "input": {"endTime": "20:30"}}, token=token)
    clash = await gql(UPDATE, {"id": str(schedule.id), "input": {"endTime": "21:30"}}, token=token)
    # then
    assert itself["data"]["updateSchedule"]["__typename"] == "ScheduleUpdated"
    assert clash["data"]["updateSchedule"]["__typename"] == "ScheduleConflict"
    assert clash["data"]["updateSchedule"]["conflictsWith"] == [{"id": str(later.id)}]


async def test_weeks_that_would_drop_a_booked_date_are_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a booking on 3 December, the first Thursday
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY, weeks_of_month=[])
    await make_appointment(session, schedule, DEC_3)
    await session.commit()
    # when the example's 2nd/4th/last weeks would leave it out
    body = await gql(UPDATE, update_of(schedule), token=token)
    # then
    result = body["data"]["updateSchedule"]
    assert result["__typename"] == "ValidationFailed"
    assert result["errors"][0]["field"] == "weeksOfMonth"
    assert "2026-12-03" in result["errors"][0]["message"]


async def test_another_doctors_schedule_is_not_found(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    other = await make_schedule(session, await make_doctor(session))
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    updated = await gql(UPDATE, update_of(other), token=token)
    deleted = await gql(DELETE, {"id": str(other.id), "reason": None}, token=token)
    # then
    assert updated["data"]["updateSchedule"]["__typename"] == "NotFound"
    assert deleted["data"]["deleteSchedule"]["__typename"] == "NotFound"


async def test_deleting_deactivates_and_cancels_future_bookings_with_an_sms_each(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given two future bookings and one whose session already took place
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    future = [
        await make_appointment(session, schedule, DEC_3),
        await make_appointment(session, schedule, DEC_10),
    ]
    past = await make_appointment(session, schedule, date(2026, 11, 26))
    await session.commit()
    # when
    body = await gql(
        DELETE, example_variables("DeleteSchedule") | {"id": str(schedule.id)}, token=token
    )
    # then
    assert body["data"]["deleteSchedule"] == {
        "__typename": "ScheduleDeleted",
        "id": str(schedule.id),
        "cancelledAppointments": 2,
    }
    state = (await session.execute(select(Schedule.is_active, Schedule.deactivated_at))).one()
    assert state.is_active is False
    assert state.deactivated_at == clock.now()
    statuses = {
        row.id: row.status
        for row in await session.execute(select(Appointment.id, Appointment.status))
    }
    assert [statuses[a.id] for a in future] == [AppointmentStatus.CANCELLED_BY_DOCTOR] * 2
    assert statuses[past.id] is AppointmentStatus.BOOKED
    reasons = (await session.scalars(select(Appointment.cancellation_reason))).all()
    assert "clinic closed" in reasons
    for appointment in future:
        [sms] = await sms_to(session, appointment.patient_phone)
        assert "clinic closed" in sms
    seats = {
        row.session_date: row.booked_count
        for row in await session.execute(
            select(SessionSeats.session_date, SessionSeats.booked_count)
        )
    }
    assert seats == {DEC_3: 0, DEC_10: 0, date(2026, 11, 26): 1}


async def test_a_deleted_schedule_stops_appearing_and_cannot_be_deleted_twice(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor)
    await session.commit()
    # when
    await gql(DELETE, {"id": str(schedule.id), "reason": None}, token=token)
    again = await gql(DELETE, {"id": str(schedule.id), "reason": None}, token=token)
    page = await gql(
        operation("DoctorPage", without=("sessions",)),
        {"publicId": doctor.public_id},
    )
    # then
    assert again["data"]["deleteSchedule"]["__typename"] == "NotFound"
    assert page["data"]["doctor"]["schedules"] == []


async def test_a_booking_today_that_already_started_is_left_alone(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given it is 19:00 IST on 3 December, during the 18:00 session
    clock.set(datetime(2026, 12, 3, 13, 30, tzinfo=UTC))
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    ongoing = await make_appointment(session, schedule, DEC_3)
    await session.commit()
    # when
    body = await gql(DELETE, {"id": str(schedule.id), "reason": None}, token=token)
    # then
    assert body["data"]["deleteSchedule"]["cancelledAppointments"] == 0
    status = await session.scalar(select(Appointment.status).where(Appointment.id == ongoing.id))
    assert status is AppointmentStatus.BOOKED
