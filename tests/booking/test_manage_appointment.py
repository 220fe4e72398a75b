"""The patient's side: viewing and cancelling with the manage token."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment, SessionSeats
from resolvers.platform.clock import FixedClock
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.operations import operation
from tests.scheduling_support import sms_to

MY_APPOINTMENT = operation("MyAppointment")
CANCEL_MINE = operation("CancelMyAppointment")
TOKEN = "a-manage-token"
DEC_3 = date(2026, 12, 3)


async def test_the_patient_sees_the_booking_with_its_session_and_doctor(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    doctor = await make_doctor(session, name="Dr. Asha Rao")
    schedule = await make_schedule(session, doctor, clinic_name="Rao Clinic", medical_shop="Apollo")
    appointment = await make_appointment(session, schedule, DEC_3, manage_token=TOKEN)
    await session.commit()
    # when
    body = await gql(MY_APPOINTMENT, {"publicId": appointment.public_id, "manageToken": TOKEN})
    # then
    assert body["data"]["myAppointment"] == {
        "publicId": appointment.public_id,
        "status": "BOOKED",
        "queueNumber": 1,
        "patientName": appointment.patient_name,
        "canCancel": True,
        "session": {
            "date": "2026-12-03",
            "startsAt": "2026-12-03T18:00:00+05:30",
            "status": "OPEN",
            "schedule": {
                "clinicName": "Rao Clinic",
                "medicalShop": "Apollo",
                "address": "12 Park Street",
            },
        },
        "doctor": {"publicId": doctor.public_id, "name": "Dr. Asha Rao"},
    }


async def test_a_wrong_token_or_id_finds_nothing(gql: GraphQLClient, session: AsyncSession) -> None:
    # given
    doctor = await make_doctor(session)
    appointment = await make_appointment(
        session, await make_schedule(session, doctor), DEC_3, manage_token=TOKEN
    )
    await session.commit()
    # when
    answers = [
        await gql(MY_APPOINTMENT, variables)
        for variables in (
            {"publicId": appointment.public_id, "manageToken": "guess"},
            {"publicId": "MMA-999", "manageToken": TOKEN},
            {"publicId": "nonsense", "manageToken": TOKEN},
        )
    ]
    cancel = await gql(
        CANCEL_MINE, {"publicId": appointment.public_id, "manageToken": "guess", "reason": None}
    )
    # then
    assert [answer["data"]["myAppointment"] for answer in answers] == [None, None, None]
    assert cancel["data"]["cancelMyAppointment"]["__typename"] == "NotFound"


async def test_cancelling_frees_the_seat_but_not_the_queue_number(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor)
    appointment = await make_appointment(session, schedule, DEC_3, manage_token=TOKEN)
    await session.commit()
    # when
    body = await gql(
        CANCEL_MINE,
        {"publicId": appointment.public_id, "manageToken": TOKEN, "reason": "feeling better"},
    )
    again = await gql(
        CANCEL_MINE, {"publicId": appointment.public_id, "manageToken": TOKEN, "reason": None}
    )
    # then
    assert body["data"]["cancelMyAppointment"] == {
        "__typename": "AppointmentCancelled",
        "appointment": {"publicId": appointment.public_id, "status": "CANCELLED_BY_PATIENT"},
    }
    assert again["data"]["cancelMyAppointment"]["__typename"] == "NotAllowed"
    seats = (
        await session.execute(select(SessionSeats.booked_count, SessionSeats.last_queue_number))
    ).one()
    assert tuple(seats) == (0, 1)
    stored = (
        await session.execute(select(Appointment.cancellation_reason, Appointment.cancelled_at))
    ).one()
    assert stored.cancellation_reason == "feeling better"
    assert stored.cancelled_at is not None
    assert len(await sms_to(session, appointment.patient_phone)) == 1


async def test_once_the_session_starts_the_patient_can_no_longer_cancel(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given the session started at 18:00 IST (12:30 UTC)
    doctor = await make_doctor(session)
    appointment = await make_appointment(
        session, await make_schedule(session, doctor), DEC_3, manage_token=TOKEN
    )
    await session.commit()
    clock.set(datetime(2026, 12, 3, 12, 30, tzinfo=UTC))
    # when
    view = await gql(MY_APPOINTMENT, {"publicId": appointment.public_id, "manageToken": TOKEN})
    cancel = await gql(
        CANCEL_MINE, {"publicId": appointment.public_id, "manageToken": TOKEN, "reason": None}
    )
    # then
    assert view["data"]["myAppointment"]["canCancel"] is False
    assert view["data"]["myAppointment"]["session"]["status"] == "CLOSED"
    assert cancel["data"]["cancelMyAppointment"]["__typename"] == "NotAllowed"
