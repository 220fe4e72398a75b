"""Issue 18, item 4: what doctors type reaches patients' SMS bounded and without links."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment
from resolvers.platform.clock import FixedClock
from resolvers.platform.messages import MAX_REASON
from settings import Settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor, sms_to

CANCEL = operation("CancelAppointment")
CANCEL_MINE = operation("CancelMyAppointment")
DELETE_SCHEDULE = operation("DeleteSchedule")
UPDATE_SCHEDULE = operation("UpdateSchedule")
CREATE_VACATION = operation("CreateVacation")

DEC_3 = date(2026, 12, 3)  # a Thursday after DEFAULT_NOW
HUGE_REASON = "We are very sorry. " * 3_158  # 60,002 characters
LINKED_REASON = "Clinic closed; rebook at https://rebook.example/x or bit.ly/3xYz"
# A booking SMS without free text is about 150 characters; the slots add at most ~420.
SMS_CEILING = 600


async def test_a_60k_cancellation_reason_does_not_make_a_60k_sms(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    appointment = await factories.make_appointment(
        session, await factories.make_schedule(session, doctor), DEC_3
    )
    await session.commit()
    # when
    body = await gql(CANCEL, {"id": str(appointment.id), "reason": HUGE_REASON}, token=token)
    # then
    assert body["data"]["cancelAppointment"]["__typename"] == "AppointmentCancelled"
    [sms] = await sms_to(session, appointment.patient_phone)
    assert len(sms) < SMS_CEILING
    assert "We are very sorry." in sms
    stored = await session.scalar(select(Appointment.cancellation_reason))
    assert stored is not None
    assert len(stored) == MAX_REASON
    assert stored.endswith("...")


async def test_a_patients_own_long_reason_is_cut_too(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    doctor = await factories.make_doctor(session)
    appointment = await factories.make_appointment(
        session, await factories.make_schedule(session, doctor), DEC_3
    )
    await session.commit()
    variables = {
        "publicId": appointment.public_id,
        "manageToken": "test-manage-token",
        "reason": HUGE_REASON,
    }
    # when
    body = await gql(CANCEL_MINE, variables)
    # then
    assert body["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    [sms] = await sms_to(session, appointment.patient_phone)
    assert sms.startswith("You cancelled")
    assert len(sms) < SMS_CEILING


async def test_links_in_a_deletion_reason_are_stripped(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor)
    appointment = await factories.make_appointment(session, schedule, DEC_3)
    await session.commit()
    # when
    body = await gql(
        DELETE_SCHEDULE, {"id": str(schedule.id), "reason": LINKED_REASON}, token=token
    )
    # then
    assert body["data"]["deleteSchedule"]["cancelledAppointments"] == 1
    [sms] = await sms_to(session, appointment.patient_phone)
    assert "Reason: Clinic closed; rebook at or" in sms
    assert "http" not in sms
    assert "example" not in sms
    assert "bit.ly" not in sms


async def test_a_link_in_the_clinic_name_does_not_reach_a_change_notice(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor)
    appointment = await factories.make_appointment(session, schedule, DEC_3)
    await session.commit()
    moved = {"clinicName": "Rao Clinic (pay at www.pay-now.example)", "address": "x" * 500}
    # when
    body = await gql(UPDATE_SCHEDULE, {"id": str(schedule.id), "input": moved}, token=token)
    # then
    assert body["data"]["updateSchedule"]["notifiedAppointments"] == 1
    [sms] = await sms_to(session, appointment.patient_phone)
    assert "at Rao Clinic (pay at, xxx" in sms
    assert "pay-now" not in sms
    assert len(sms) < SMS_CEILING


async def test_a_vacation_reason_longer_than_an_sms_allows_is_a_field_problem(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await factories.make_schedule(session, doctor)
    await session.commit()
    variables = example_variables("CreateVacation")
    variables["input"]["reason"] = "x" * (MAX_REASON + 1)
    # when
    body = await gql(CREATE_VACATION, variables, token=token)
    # then
    result = body["data"]["createVacation"]
    assert result["__typename"] == "ValidationFailed"
    assert result["errors"] == [{"field": "reason", "message": f"At most {MAX_REASON} characters."}]


async def test_a_vacation_tells_patients_its_reason_without_links(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    appointment = await factories.make_appointment(
        session, await factories.make_schedule(session, doctor), DEC_3
    )
    await session.commit()
    variables = example_variables("CreateVacation")
    variables["input"].update(start="2026-12-02", end="2026-12-04", reason=LINKED_REASON)
    # when
    body = await gql(CREATE_VACATION, variables, token=token)
    # then
    assert body["data"]["createVacation"]["cancelledAppointments"] == 1
    [sms] = await sms_to(session, appointment.patient_phone)
    assert sms.endswith("Reason: The doctor is on vacation: Clinic closed; rebook at or.")
