"""RequestOtp: 6-digit codes sent through the outbox, hashed at rest, limited per phone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel, NotificationStatus
from db.models import Notification, OtpChallenge
from resolvers.platform.clock import FixedClock
from tests.accounts_support import sent_code
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation

REQUEST_OTP = operation("RequestOtp")
PHONE = "9830012345"
E164 = "+919830012345"


async def test_a_code_is_queued_as_an_sms_and_only_its_hash_is_stored(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # when
    body = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "REGISTER_DOCTOR"})
    # then
    sent = body["data"]["requestOtp"]
    assert sent == {
        "__typename": "OtpSent",
        "phone": E164,
        "expiresAt": (clock.now() + timedelta(minutes=10)).isoformat(),
        "resendAvailableAt": (clock.now() + timedelta(seconds=60)).isoformat(),
    }
    code = await sent_code(session, E164)
    assert len(code) == 6
    assert code.isdigit()
    message = await session.scalar(select(Notification))
    assert message is not None
    assert message.channel is NotificationChannel.SMS
    assert message.status is NotificationStatus.PENDING
    challenge = await session.scalar(select(OtpChallenge))
    assert challenge is not None
    assert challenge.phone == E164
    assert code not in challenge.code_hash


async def test_an_invalid_phone_is_a_validation_error_naming_the_field(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # when
    body = await gql(REQUEST_OTP, {"phone": "12345", "purpose": "BOOK_APPOINTMENT"})
    # then
    result = body["data"]["requestOtp"]
    assert result["__typename"] == "ValidationFailed"
    assert [error["field"] for error in result["errors"]] == ["phone"]
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_a_second_code_within_a_minute_is_rate_limited(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    # given
    await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "REGISTER_DOCTOR"})
    clock.advance(timedelta(seconds=45))
    # when
    body = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "RESET_PASSWORD"})
    # then
    result = body["data"]["requestOtp"]
    assert result["__typename"] == "RateLimited"
    assert result["retryAfter"] == 15


async def test_a_code_a_minute_later_is_sent(gql: GraphQLClient, clock: FixedClock) -> None:
    # given
    await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "REGISTER_DOCTOR"})
    clock.advance(timedelta(seconds=60))
    # when
    body = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "REGISTER_DOCTOR"})
    # then
    assert body["data"]["requestOtp"]["__typename"] == "OtpSent"


async def test_the_sixth_code_in_an_hour_is_rate_limited_until_the_first_ages_out(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    # given: five codes, two minutes apart
    start = clock.now()
    for _ in range(5):
        sent = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "BOOK_APPOINTMENT"})
        assert sent["data"]["requestOtp"]["__typename"] == "OtpSent"
        clock.advance(timedelta(minutes=2))
    # when
    body = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "BOOK_APPOINTMENT"})
    # then
    result = body["data"]["requestOtp"]
    assert result["__typename"] == "RateLimited"
    assert result["retryAfter"] == int((start + timedelta(hours=1) - clock.now()).total_seconds())
    clock.set(start + timedelta(hours=1, seconds=1))
    again = await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "BOOK_APPOINTMENT"})
    assert again["data"]["requestOtp"]["__typename"] == "OtpSent"


async def test_limits_are_per_phone(gql: GraphQLClient) -> None:
    # given
    await gql(REQUEST_OTP, {"phone": PHONE, "purpose": "REGISTER_DOCTOR"})
    # when
    body = await gql(REQUEST_OTP, {"phone": "9830099999", "purpose": "REGISTER_DOCTOR"})
    # then
    assert body["data"]["requestOtp"]["__typename"] == "OtpSent"


async def test_the_frontend_example_is_accepted(gql: GraphQLClient) -> None:
    # when
    body = await gql(REQUEST_OTP, example_variables("RequestOtp"))
    # then
    assert body["data"]["requestOtp"]["__typename"] == "OtpSent"
