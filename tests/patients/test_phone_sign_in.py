"""Phone sign-in: a MANAGE_APPOINTMENTS code, then verifyPhone, gives a token for that phone."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpPurpose
from db.models import Notification, OtpChallenge
from resolvers.patients.tokens import read_patient_token
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import keyring_of
from settings import Settings
from tests.accounts_support import REQUEST_OTP, sent_code
from tests.booking_support import give_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.patients_support import patients_operation, patients_variables
from tests.waitlist_support import make_entry

VERIFY = patients_operation("VerifyPhone")
MY_BOOKINGS = patients_operation("MyBookings")
RESCHEDULE = patients_operation("RescheduleMyAppointment")
CANCEL = patients_operation("CancelByPhone")
PHONE = "+919830012345"
WAITING = "+919830077777"
DEC_3 = date(2026, 12, 3)


async def test_a_code_for_a_phone_with_bookings_is_texted_and_buys_a_token(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a phone that booked once
    schedule = await make_schedule(session, await make_doctor(session))
    await make_appointment(session, schedule, DEC_3, patient_phone=PHONE)
    await session.commit()
    sent = await gql(REQUEST_OTP, {"phone": "9830012345", "purpose": "MANAGE_APPOINTMENTS"})
    code = await sent_code(session, PHONE)
    # when
    body = await gql(VERIFY, {"phone": "9830012345", "otpCode": code})
    # then
    assert sent["data"]["requestOtp"]["__typename"] == "OtpSent"
    verified = body["data"]["verifyPhone"]
    assert verified["__typename"] == "PhoneVerified"
    assert verified["phone"] == PHONE
    assert verified["expiresAt"] == (clock.now() + timedelta(minutes=30)).isoformat()
    token = verified["accessToken"]
    assert read_patient_token(token, keyring=keyring_of(settings), now=clock.now()) == PHONE


async def test_a_phone_without_bookings_gets_the_same_answer_and_no_sms(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given a phone that never booked, one that did, and one that only waits in line
    schedule = await make_schedule(session, await make_doctor(session))
    await make_appointment(session, schedule, DEC_3, patient_phone="+919830099999")
    await make_entry(session, schedule, DEC_3, settings=settings, patient_phone=WAITING)
    await session.commit()
    # when each asks for a code
    stranger = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "MANAGE_APPOINTMENTS"})
    patient = await gql(REQUEST_OTP, {"phone": "+919830099999", "purpose": "MANAGE_APPOINTMENTS"})
    waiter = await gql(REQUEST_OTP, {"phone": WAITING, "purpose": "MANAGE_APPOINTMENTS"})
    again = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "MANAGE_APPOINTMENTS"})
    # then the answers have the same shape, the limits count both, only the patient is texted
    answers = [body["data"]["requestOtp"] for body in (stranger, patient, waiter)]
    assert [sorted(answer) for answer in answers] == [sorted(answers[1])] * 3
    assert {answer["__typename"] for answer in answers} == {"OtpSent"}
    assert again["data"]["requestOtp"]["__typename"] == "RateLimited"
    recipients = (await session.scalars(select(Notification.recipient))).all()
    assert recipients == ["+919830099999", WAITING]
    challenges = await session.scalar(select(func.count()).select_from(OtpChallenge))
    assert challenges == 3


async def test_a_wrong_or_foreign_code_is_refused_and_a_bad_phone_is_named(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a booking code (not a sign-in code) for the phone, and a sign-in code
    await give_code(session, PHONE, settings=settings, clock=clock, code="111111")
    await give_code(
        session,
        PHONE,
        settings=settings,
        clock=clock,
        code="222222",
        purpose=OtpPurpose.MANAGE_APPOINTMENTS,
    )
    await session.commit()
    # when
    foreign = await gql(VERIFY, {"phone": PHONE, "otpCode": "111111"})
    wrong = await gql(VERIFY, {"phone": PHONE, "otpCode": "333333"})
    bad_phone = await gql(VERIFY, {"phone": "12", "otpCode": "222222"})
    right = await gql(VERIFY, {"phone": PHONE, "otpCode": "222222"})
    reused = await gql(VERIFY, {"phone": PHONE, "otpCode": "222222"})
    # then
    typenames = [
        body["data"]["verifyPhone"]["__typename"] for body in (foreign, wrong, right, reused)
    ]
    assert typenames == ["OtpInvalid", "OtpInvalid", "PhoneVerified", "OtpInvalid"]
    failed = bad_phone["data"]["verifyPhone"]
    assert failed["__typename"] == "ValidationFailed"
    assert [error["field"] for error in failed["errors"]] == ["phone"]


async def test_the_frontends_example_variables_are_accepted(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the example's code, as requestOtp would have sent it
    variables = patients_variables("VerifyPhone")
    await give_code(
        session,
        "+91" + variables["phone"],
        settings=settings,
        clock=clock,
        code=variables["otpCode"],
        purpose=OtpPurpose.MANAGE_APPOINTMENTS,
    )
    await session.commit()
    # when
    body = await gql(VERIFY, variables)
    # then
    assert body["data"]["verifyPhone"]["__typename"] == "PhoneVerified"


async def test_signed_in_by_phone_a_patient_lists_moves_and_cancels_only_their_bookings(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two bookings of the phone and one of another phone, in two sessions
    doctor = await make_doctor(session)
    thursday = await make_schedule(session, doctor, weekday=3)
    friday = await make_schedule(session, doctor, weekday=4)
    first = await make_appointment(session, thursday, DEC_3, patient_phone=PHONE)
    second = await make_appointment(session, thursday, DEC_3, patient_phone=PHONE)
    stranger = await make_appointment(session, thursday, DEC_3, patient_phone="+919830099999")
    await session.commit()
    await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "MANAGE_APPOINTMENTS"})
    verified = await gql(VERIFY, {"phone": PHONE, "otpCode": await sent_code(session, PHONE)})
    token = verified["data"]["verifyPhone"]["accessToken"]
    # when the patient lists, moves one, cancels the other, and tries the stranger's
    listed = await gql(MY_BOOKINGS, {"first": 10}, token=token)
    moved = await gql(
        RESCHEDULE,
        {"publicId": first.public_id, "scheduleId": str(friday.id), "date": "2026-12-04"},
        token=token,
    )
    cancelled = await gql(CANCEL, {"publicId": second.public_id, "reason": None}, token=token)
    foreign = await gql(CANCEL, {"publicId": stranger.public_id, "reason": None}, token=token)
    moved_away = await gql(
        RESCHEDULE,
        {"publicId": stranger.public_id, "scheduleId": str(friday.id), "date": "2026-12-04"},
        token=token,
    )
    after = await gql(MY_BOOKINGS, {"first": 10}, token=token)
    # then
    edges = listed["data"]["myBookings"]["edges"]
    assert {edge["node"]["publicId"] for edge in edges} == {first.public_id, second.public_id}
    assert moved["data"]["rescheduleMyAppointment"]["__typename"] == "Rescheduled"
    assert cancelled["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    assert foreign["data"]["cancelMyAppointment"]["__typename"] == "NotFound"
    assert moved_away["data"]["rescheduleMyAppointment"]["__typename"] == "NotFound"
    assert [
        (edge["node"]["publicId"], edge["node"]["status"])
        for edge in after["data"]["myBookings"]["edges"]
    ] == [
        ("MMA-4", "BOOKED"),
        (second.public_id, "CANCELLED_BY_PATIENT"),
        (first.public_id, "CANCELLED_BY_PATIENT"),
    ]
