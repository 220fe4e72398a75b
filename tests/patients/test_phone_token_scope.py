"""A phone token opens that phone's bookings and nothing else; an account's token opens none."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Appointment
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import error_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.operations import example_variables, operation
from tests.patients_support import patients_operation, phone_token
from tests.scheduling_support import signed_in_doctor

CANCEL_BY_PHONE = patients_operation("CancelByPhone")
PHONE, OTHER = "+919830012345", "+919830099999"
DEC_3 = date(2026, 12, 3)
# Fields only a signed-in account may use: each answers a phone token as it answers nobody.
ACCOUNT_ONLY = (
    "MyAccount",
    "PendingDoctors",
    "SessionAppointments",
    "CancelAppointment",
    "CreateCategory",
    "UpdateMyProfile",
)


@pytest.mark.parametrize("name", ACCOUNT_ONLY)
async def test_a_phone_token_opens_no_account_field(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, name: str
) -> None:
    # given a phone that booked, signed in with its phone
    schedule = await make_schedule(session, await make_doctor(session))
    await make_appointment(session, schedule, DEC_3, patient_phone=PHONE)
    await session.commit()
    token = phone_token(PHONE, settings=settings, clock=clock)
    # when
    variables = {} if name == "MyAccount" else example_variables(name)
    body = await gql(operation(name), variables, token=token)
    # then
    assert error_code(body) == "UNAUTHENTICATED"
    assert body["data"] is None


async def test_a_phone_token_cancels_its_own_booking_only(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the phone's booking and another phone's, in one session
    schedule = await make_schedule(session, await make_doctor(session))
    mine = await make_appointment(session, schedule, DEC_3, patient_phone=PHONE)
    theirs = await make_appointment(session, schedule, DEC_3, patient_phone=OTHER)
    await session.commit()
    token = phone_token(PHONE, settings=settings, clock=clock)
    # when
    other = await gql(CANCEL_BY_PHONE, {"publicId": theirs.public_id, "reason": None}, token=token)
    nobody = await gql(CANCEL_BY_PHONE, {"publicId": mine.public_id, "reason": None})
    own = await gql(
        CANCEL_BY_PHONE, {"publicId": mine.public_id, "reason": "feeling better"}, token=token
    )
    # then
    assert other["data"]["cancelMyAppointment"]["__typename"] == "NotFound"
    assert nobody["data"]["cancelMyAppointment"]["__typename"] == "NotFound"
    assert own["data"]["cancelMyAppointment"] == {
        "__typename": "AppointmentCancelled",
        "appointment": {"publicId": mine.public_id, "status": "CANCELLED_BY_PATIENT"},
    }
    statuses = dict((await session.execute(select(Appointment.id, Appointment.status))).all())
    assert statuses == {
        mine.id: AppointmentStatus.CANCELLED_BY_PATIENT,
        theirs.id: AppointmentStatus.BOOKED,
    }


async def test_an_accounts_token_cancels_no_patients_booking(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the doctor of the session, signed in, whose own phone is the patient's
    doctor, doctor_token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor)
    booked = await make_appointment(session, schedule, DEC_3, patient_phone=doctor.phone)
    await session.commit()
    # when
    body = await gql(
        CANCEL_BY_PHONE, {"publicId": booked.public_id, "reason": None}, token=doctor_token
    )
    # then
    assert body["data"]["cancelMyAppointment"]["__typename"] == "NotFound"


async def test_the_manage_token_still_cancels_with_a_phone_token_of_another_phone(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a booking of another phone, whose manage token the caller holds
    schedule = await make_schedule(session, await make_doctor(session))
    booked = await make_appointment(
        session, schedule, DEC_3, patient_phone=OTHER, manage_token="its-token"
    )
    await session.commit()
    token = phone_token(PHONE, settings=settings, clock=clock)
    # when
    body = await gql(
        operation("CancelMyAppointment"),
        {"publicId": booked.public_id, "manageToken": "its-token", "reason": None},
        token=token,
    )
    # then
    assert body["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
