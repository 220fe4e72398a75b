"""The doctor's side of appointments: the session list, cancelling, and the visit lifecycle."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import SessionSeats
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.operations import operation
from tests.scheduling_support import signed_in_doctor, sms_to

LIST = operation("SessionAppointments")
CANCEL = operation("CancelAppointment")
SET_STATUS = operation("SetAppointmentStatus")
DEC_3 = date(2026, 12, 3)
# 18:00 IST on 3 December, when the session starts.
SESSION_START = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)


async def test_the_doctor_sees_everyone_in_queue_order(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor)
    first = await make_appointment(
        session, schedule, DEC_3, patient_name="Rina Das", patient_age=34
    )
    second = await make_appointment(
        session,
        schedule,
        DEC_3,
        status=AppointmentStatus.CANCELLED_BY_PATIENT,
        cancelled_at=clock.now(),
    )
    await make_appointment(session, schedule, date(2026, 12, 10))
    await session.commit()
    # when
    body = await gql(LIST, {"scheduleId": str(schedule.id), "date": "2026-12-03"}, token=token)
    # then
    rows = body["data"]["sessionAppointments"]
    assert [(row["publicId"], row["queueNumber"], row["status"]) for row in rows] == [
        (first.public_id, 1, "BOOKED"),
        (second.public_id, 2, "CANCELLED_BY_PATIENT"),
    ]
    assert rows[0]["patientName"] == "Rina Das"
    assert rows[0]["patientAge"] == 34
    assert rows[0]["patientPhone"] == first.patient_phone


async def test_another_doctors_session_is_an_empty_list(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    other = await make_schedule(session, await make_doctor(session))
    await make_appointment(session, other, DEC_3)
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    body = await gql(LIST, {"scheduleId": str(other.id), "date": "2026-12-03"}, token=token)
    # then
    assert body["data"]["sessionAppointments"] == []


async def test_the_doctor_cancels_a_booking_and_the_patient_is_told(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    appointment = await make_appointment(session, await make_schedule(session, doctor), DEC_3)
    await session.commit()
    # when
    body = await gql(
        CANCEL, {"id": str(appointment.id), "reason": "emergency surgery"}, token=token
    )
    again = await gql(CANCEL, {"id": str(appointment.id), "reason": "again"}, token=token)
    # then
    assert body["data"]["cancelAppointment"] == {
        "__typename": "AppointmentCancelled",
        "appointment": {"id": str(appointment.id), "status": "CANCELLED_BY_DOCTOR"},
    }
    assert again["data"]["cancelAppointment"]["__typename"] == "NotAllowed"
    [sms] = await sms_to(session, appointment.patient_phone)
    assert "emergency surgery" in sms
    assert await session.scalar(select(SessionSeats.booked_count)) == 0


async def test_another_doctors_appointment_is_not_found(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    other = await make_appointment(
        session, await make_schedule(session, await make_doctor(session)), DEC_3
    )
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    # when
    cancel = await gql(CANCEL, {"id": str(other.id), "reason": "mine now"}, token=token)
    status = await gql(SET_STATUS, {"id": str(other.id), "status": "ARRIVED"}, token=token)
    # then
    assert cancel["data"]["cancelAppointment"]["__typename"] == "NotFound"
    assert status["data"]["setAppointmentStatus"]["__typename"] == "NotFound"


async def set_status(
    gql: GraphQLClient, token: str, appointment_id: int, status: str
) -> dict[str, object]:
    body = await gql(SET_STATUS, {"id": str(appointment_id), "status": status}, token=token)
    result: dict[str, object] = body["data"]["setAppointmentStatus"]
    return result


async def test_a_visit_goes_from_booked_to_arrived_to_completed(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the session is under way
    clock.set(SESSION_START)
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    appointment = await make_appointment(session, await make_schedule(session, doctor), DEC_3)
    await session.commit()
    # when
    arrived = await set_status(gql, token, appointment.id, "ARRIVED")
    completed = await set_status(gql, token, appointment.id, "COMPLETED")
    back = await set_status(gql, token, appointment.id, "BOOKED")
    # then
    assert arrived == {
        "__typename": "AppointmentUpdated",
        "appointment": {"id": str(appointment.id), "status": "ARRIVED"},
    }
    assert completed["appointment"] == {"id": str(appointment.id), "status": "COMPLETED"}
    assert back["__typename"] == "NotAllowed"


@pytest.mark.parametrize(
    ("now", "status", "answer"),
    [
        (
            datetime(2026, 12, 2, 18, 29, 59, tzinfo=UTC),
            "ARRIVED",
            "NotAllowed",
        ),  # 23:59:59 the day before
        (datetime(2026, 12, 2, 18, 30, 0, tzinfo=UTC), "ARRIVED", "AppointmentUpdated"),
        (datetime(2026, 12, 3, 12, 29, 59, tzinfo=UTC), "NO_SHOW", "NotAllowed"),
        (SESSION_START, "NO_SHOW", "AppointmentUpdated"),
        (SESSION_START, "COMPLETED", "AppointmentUpdated"),
        (SESSION_START, "CANCELLED_BY_DOCTOR", "NotAllowed"),
        (SESSION_START, "CANCELLED_BY_PATIENT", "NotAllowed"),
    ],
)
async def test_status_changes_follow_the_clock(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    now: datetime,
    status: str,
    answer: str,
) -> None:
    # given
    clock.set(now)
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    appointment = await make_appointment(session, await make_schedule(session, doctor), DEC_3)
    await session.commit()
    # when
    result = await set_status(gql, token, appointment.id, status)
    # then
    assert result["__typename"] == answer


async def test_a_cancelled_visit_cannot_be_completed_and_a_no_show_can_still_arrive(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    clock.set(SESSION_START)
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor)
    cancelled = await make_appointment(
        session,
        schedule,
        DEC_3,
        status=AppointmentStatus.CANCELLED_BY_PATIENT,
        cancelled_at=clock.now(),
    )
    late = await make_appointment(session, schedule, DEC_3, status=AppointmentStatus.NO_SHOW)
    await session.commit()
    # when
    completed = await set_status(gql, token, cancelled.id, "COMPLETED")
    arrived = await set_status(gql, token, late.id, "ARRIVED")
    # then
    assert completed["__typename"] == "NotAllowed"
    assert arrived["__typename"] == "AppointmentUpdated"


async def test_the_doctor_cannot_cancel_once_the_session_started(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    clock.set(SESSION_START)
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    appointment = await make_appointment(session, await make_schedule(session, doctor), DEC_3)
    await session.commit()
    # when
    body = await gql(CANCEL, {"id": str(appointment.id), "reason": "late"}, token=token)
    # then
    assert body["data"]["cancelAppointment"]["__typename"] == "NotAllowed"
