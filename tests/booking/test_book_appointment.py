"""Booking a place: each rule of the domain answers with its own type."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, DoctorStatus
from db.models import Appointment, OtpChallenge
from resolvers.booking.manage_tokens import hash_token
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import request_code
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule, make_vacation
from tests.operations import operation
from tests.scheduling_support import sms_to

BOOK = operation("BookAppointment")
MY_APPOINTMENT = operation("MyAppointment")
PHONE = "+919830012345"  # the example's 9830012345 with the default country code
THURSDAY = 3
DEC_3 = date(2026, 12, 3)  # a Thursday; "now" is Tuesday 2026-12-01 09:00 in Kolkata


async def test_booking_gives_a_queue_number_a_manage_token_and_an_sms(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session, name="Dr. Asha Rao")
    schedule = await make_schedule(session, doctor, weekday=THURSDAY, clinic_name="Rao Clinic")
    await make_appointment(session, schedule, DEC_3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(BOOK, booking(schedule, DEC_3))
    # then
    result = body["data"]["bookAppointment"]
    assert result["__typename"] == "Booked"
    appointment = result["appointment"]
    assert appointment["queueNumber"] == 2
    assert appointment["status"] == "BOOKED"
    assert appointment["patientName"] == "Rina Das"
    assert appointment["session"] == {"date": "2026-12-03", "startsAt": "2026-12-03T18:00:00+05:30"}
    assert appointment["doctor"] == {"publicId": doctor.public_id, "name": "Dr. Asha Rao"}
    stored = await session.scalar(select(Appointment).where(Appointment.queue_number == 2))
    assert stored is not None
    assert stored.patient_phone == PHONE
    assert stored.manage_token_hash == hash_token(result["manageToken"])
    assert result["manageToken"] not in stored.manage_token_hash
    [sms] = await sms_to(session, PHONE)
    assert appointment["publicId"] in sms
    assert "queue #2" in sms
    assert "Rao Clinic" in sms


async def test_the_manage_token_opens_the_booking_for_its_patient(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    booked = (await gql(BOOK, booking(schedule, DEC_3)))["data"]["bookAppointment"]
    public_id, token = booked["appointment"]["publicId"], booked["manageToken"]
    # when
    mine = await gql(MY_APPOINTMENT, {"publicId": public_id, "manageToken": token})
    wrong = await gql(MY_APPOINTMENT, {"publicId": public_id, "manageToken": token + "x"})
    # then
    assert mine["data"]["myAppointment"]["canCancel"] is True
    assert mine["data"]["myAppointment"]["session"]["status"] == "OPEN"
    assert wrong["data"]["myAppointment"] is None


async def test_an_unknown_or_unavailable_schedule_is_not_found(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a deactivated schedule, and one of a suspended doctor
    doctor = await make_doctor(session)
    closed = await make_schedule(
        session, doctor, weekday=THURSDAY, is_active=False, deactivated_at=clock.now()
    )
    suspended = await make_doctor(session, status=DoctorStatus.SUSPENDED)
    hidden = await make_schedule(session, suspended, weekday=THURSDAY)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    answers = [
        (await gql(BOOK, booking(schedule, DEC_3)))["data"]["bookAppointment"]["__typename"]
        for schedule in (closed, hidden)
    ]
    unknown = await gql(BOOK, {"input": {**booking(closed, DEC_3)["input"], "scheduleId": "999"}})
    # then
    assert answers == ["NotFound", "NotFound"]
    assert unknown["data"]["bookAppointment"]["__typename"] == "NotFound"


async def test_a_date_the_schedule_does_not_run_names_the_next_session(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given the fifth Saturday only: January 2027 has one, on the 30th
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=5, weeks_of_month=[5])
    await session.commit()
    # when the fourth Saturday is asked for
    body = await gql(BOOK, booking(schedule, date(2027, 1, 23)))
    # then
    result = body["data"]["bookAppointment"]
    assert result["__typename"] == "NotAScheduledDate"
    assert result["nextSession"] == {
        "date": "2027-01-30",
        "startsAt": "2027-01-30T18:00:00+05:30",
    }


async def test_a_vacation_day_says_until_when(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    await make_vacation(session, doctor, DEC_3, date(2026, 12, 5), schedules=[schedule])
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(BOOK, booking(schedule, DEC_3))
    # then
    assert body["data"]["bookAppointment"] == {
        "__typename": "DoctorOnVacation",
        "message": "The doctor is on vacation on this date.",
        "until": "2026-12-05",
    }


async def test_a_full_session_refuses_and_keeps_the_code_usable(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a one-seat session that is taken, and another with room
    doctor = await make_doctor(session)
    tiny = await make_schedule(session, doctor, weekday=THURSDAY, patient_limit=1)
    await make_appointment(session, tiny, DEC_3)
    roomy = await make_schedule(session, doctor, weekday=4, patient_limit=5)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    full = await gql(BOOK, booking(tiny, DEC_3))
    elsewhere = await gql(BOOK, booking(roomy, date(2026, 12, 4)))
    # then
    assert full["data"]["bookAppointment"] == {
        "__typename": "SessionFull",
        "message": "This session is full.",
        "session": {"date": "2026-12-03", "capacity": 1},
    }
    assert elsewhere["data"]["bookAppointment"]["__typename"] == "Booked"


async def test_a_wrong_code_is_refused_and_counted(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(BOOK, booking(schedule, DEC_3, otpCode="000000"))
    # then
    assert body["data"]["bookAppointment"]["__typename"] == "OtpInvalid"
    attempts = await session.scalar(select(OtpChallenge.attempts))
    assert attempts == 1
    assert await session.scalar(select(Appointment.id)) is None


async def test_a_code_for_another_phone_does_not_book(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the code was sent to a different phone
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    await give_code(session, "+919830099999", settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(BOOK, booking(schedule, DEC_3))
    # then
    assert body["data"]["bookAppointment"]["__typename"] == "OtpInvalid"


async def test_the_same_patient_cannot_book_one_session_twice(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given Rina is booked already
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    first = await make_appointment(
        session, schedule, DEC_3, patient_name="Rina Das", patient_phone=PHONE
    )
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when she books again, spelled differently; then her son books on her phone
    again = await gql(BOOK, booking(schedule, DEC_3, patientName="  rina   DAS "))
    await give_code(session, PHONE, settings=settings, clock=clock, code="654321")
    await session.commit()
    son = await gql(BOOK, booking(schedule, DEC_3, patientName="Arjun Das", otpCode="654321"))
    # then
    assert again["data"]["bookAppointment"]["__typename"] == "DuplicateBooking"
    assert again["data"]["bookAppointment"]["existing"] == {"publicId": first.public_id}
    assert son["data"]["bookAppointment"]["__typename"] == "Booked"
    assert son["data"]["bookAppointment"]["appointment"]["queueNumber"] == 2


async def test_a_cancelled_booking_does_not_count_as_a_duplicate(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    await make_appointment(
        session,
        schedule,
        DEC_3,
        patient_name="Rina Das",
        patient_phone=PHONE,
        status=AppointmentStatus.CANCELLED_BY_PATIENT,
        cancelled_at=clock.now(),
    )
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(BOOK, booking(schedule, DEC_3))
    # then queue numbers are never reused
    assert body["data"]["bookAppointment"]["appointment"]["queueNumber"] == 2


async def test_invalid_patient_details_are_all_reported(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    await session.commit()
    # when
    body = await gql(
        BOOK, booking(schedule, DEC_3, patientName="  ", patientAge=131, patientPhone="12")
    )
    # then
    result = body["data"]["bookAppointment"]
    assert result["__typename"] == "ValidationFailed"
    assert {error["field"] for error in result["errors"]} == {
        "patientName",
        "patientAge",
        "patientPhone",
    }


async def test_unlimited_sessions_never_fill(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(
        session, doctor, weekday=THURSDAY, patient_limit=None, start_time=time(9), end_time=None
    )
    for _ in range(3):
        await make_appointment(session, schedule, DEC_3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(BOOK, booking(schedule, DEC_3))
    # then
    assert body["data"]["bookAppointment"]["appointment"]["queueNumber"] == 4


async def test_a_code_requested_through_the_api_books(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given the patient asks for a code as the frontend does, and reads the SMS
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    await session.commit()
    code = await request_code(gql, session, phone="9830012345", purpose="BOOK_APPOINTMENT")
    # when
    body = await gql(BOOK, booking(schedule, DEC_3, otpCode=code))
    reused = await gql(BOOK, booking(schedule, DEC_3, otpCode=code, patientName="Arjun Das"))
    # then the code is single use
    assert body["data"]["bookAppointment"]["__typename"] == "Booked"
    assert reused["data"]["bookAppointment"]["__typename"] == "OtpInvalid"
