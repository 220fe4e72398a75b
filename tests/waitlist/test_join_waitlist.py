"""Joining a full session's waitlist: booking's checks and OTP, only when FULL, once per patient."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpPurpose
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import CODE, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule, make_vacation
from tests.scheduling_support import sms_to
from tests.waitlist_support import (
    DEC_3,
    entries_of,
    full_session,
    joining,
    make_entry,
    patients_operation,
)

JOIN = patients_operation("JoinWaitlist")
PHONE = "+919830012345"
# 16:00 in Kolkata on 3 December: two hours before the session, booking closes.
CLOSING = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)


async def test_a_patient_joins_a_full_session_and_is_first_in_line(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full two-seat session and a code for the patient's phone
    full = await full_session(session, seats=2)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(JOIN, joining(full.schedule, DEC_3, otpCode=CODE))
    # then
    answer = body["data"]["joinWaitlist"]
    assert answer["__typename"] == "WaitlistJoined"
    assert answer["manageToken"]
    assert answer["entry"] == {
        "publicId": "MMW-1",
        "status": "WAITING",
        "position": 1,
        "session": {"date": "2026-12-03", "startsAt": "2026-12-03T18:00:00+05:30"},
    }
    [entry] = await entries_of(session)
    assert (entry.patient_name, entry.patient_phone, entry.patient_age) == ("Rina Das", PHONE, 34)
    assert answer["manageToken"] not in entry.manage_token_hash
    assert await sms_to(session, PHONE) == [
        "Waitlist MMW-1: you are #1 in line for Dr. Asha Rao at Test Clinic, 12 Park Street,"
        " on Thu 03 Dec 2026 at 18:00. We text you if a seat frees up."
    ]


async def test_the_next_patient_queues_behind_and_family_members_may_wait_too(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given one patient already waiting
    full = await full_session(session, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when the same phone joins for two family members, one after the other
    first = await gql(JOIN, joining(full.schedule, DEC_3, otpCode=CODE, patientName="Rina Das"))
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    second = await gql(JOIN, joining(full.schedule, DEC_3, otpCode=CODE, patientName="Mitu Das"))
    # then
    positions = [body["data"]["joinWaitlist"]["entry"]["position"] for body in (first, second)]
    assert positions == [2, 3]


async def test_a_session_with_seats_left_answers_session_not_full_and_keeps_the_code(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a session with one of two seats taken
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, patient_limit=2)
    await make_appointment(session, schedule, DEC_3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(JOIN, joining(schedule, DEC_3, otpCode=CODE))
    # then
    assert body["data"]["joinWaitlist"] == {
        "__typename": "SessionNotFull",
        "message": "This session still has seats: book one instead of waiting.",
        "session": {"date": "2026-12-03", "remaining": 1},
    }
    assert await entries_of(session) == []
    # and the code was not spent: the session fills, and the same code joins
    await make_appointment(session, schedule, DEC_3)
    await session.commit()
    again = await gql(JOIN, joining(schedule, DEC_3, otpCode=CODE))
    assert again["data"]["joinWaitlist"]["__typename"] == "WaitlistJoined"


async def test_a_patient_already_booked_or_already_waiting_is_a_duplicate(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full session in which Rina holds a place and Mitu already waits, same phone
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, patient_limit=1)
    await make_appointment(session, schedule, DEC_3, patient_name="Rina Das", patient_phone=PHONE)
    await make_entry(
        session, schedule, DEC_3, settings=settings, patient_name="Mitu Das", patient_phone=PHONE
    )
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when each tries to join (names compared trimmed and case-insensitively)
    booked = await gql(JOIN, joining(schedule, DEC_3, otpCode=CODE, patientName=" rina  das "))
    waiting = await gql(JOIN, joining(schedule, DEC_3, otpCode=CODE, patientName="MITU DAS"))
    # then both are refused, and the code is still good for someone new
    assert booked["data"]["joinWaitlist"] == {
        "__typename": "DuplicateBooking",
        "message": "This patient is already booked into this session.",
    }
    assert waiting["data"]["joinWaitlist"] == {
        "__typename": "DuplicateBooking",
        "message": "This patient is already on this session's waitlist.",
    }
    third = await gql(JOIN, joining(schedule, DEC_3, otpCode=CODE, patientName="Bablu Das"))
    assert third["data"]["joinWaitlist"]["entry"]["position"] == 2


async def test_a_wrong_code_is_refused_and_counts_as_an_attempt(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    full = await full_session(session, seats=1)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    body = await gql(JOIN, joining(full.schedule, DEC_3, otpCode="000000"))
    # then
    assert body["data"]["joinWaitlist"]["__typename"] == "OtpInvalid"
    assert await entries_of(session) == []


async def test_a_code_for_another_purpose_does_not_join(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a code for signing in to manage bookings, not for booking
    full = await full_session(session, seats=1)
    await give_code(
        session, PHONE, settings=settings, clock=clock, purpose=OtpPurpose.MANAGE_APPOINTMENTS
    )
    await session.commit()
    # when
    body = await gql(JOIN, joining(full.schedule, DEC_3, otpCode=CODE))
    # then
    assert body["data"]["joinWaitlist"]["__typename"] == "OtpInvalid"


async def test_booking_rules_refuse_before_the_code_is_checked(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full session, a vacation on the next Thursday, and no code at all
    full = await full_session(session, seats=1)
    await make_appointment(session, full.schedule, date(2026, 12, 10))
    await make_vacation(
        session, full.doctor, date(2026, 12, 10), date(2026, 12, 10), schedules=[full.schedule]
    )
    await session.commit()
    # when
    friday = await gql(JOIN, joining(full.schedule, DEC_3 + timedelta(days=1)))
    vacation = await gql(JOIN, joining(full.schedule, date(2026, 12, 10)))
    unknown = await gql(JOIN, joining(full.schedule, DEC_3, scheduleId="999"))
    invalid = await gql(JOIN, joining(full.schedule, DEC_3, patientName=" ", patientAge=200))
    clock.set(CLOSING)
    closed = await gql(JOIN, joining(full.schedule, DEC_3))
    # then
    assert friday["data"]["joinWaitlist"] == {
        "__typename": "NotAScheduledDate",
        "message": "This schedule has no session on this date.",
    }
    assert vacation["data"]["joinWaitlist"]["__typename"] == "DoctorOnVacation"
    assert vacation["data"]["joinWaitlist"]["until"] == "2026-12-10"
    assert unknown["data"]["joinWaitlist"]["__typename"] == "NotFound"
    assert invalid["data"]["joinWaitlist"]["__typename"] == "ValidationFailed"
    assert {e["field"] for e in invalid["data"]["joinWaitlist"]["errors"]} == {
        "patientName",
        "patientAge",
    }
    assert closed["data"]["joinWaitlist"] == {
        "__typename": "BookingClosed",
        "message": "Booking for this session has closed.",
        "closedAt": "2026-12-03T16:00:00+05:30",
    }
    assert await entries_of(session) == []
