"""Where codes are texted: mobile numbers of the allowed countries, never premium or satellite."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpPurpose
from db.models import Notification
from resolvers.accounts import codes
from resolvers.platform.clock import FixedClock
from resolvers.platform.errors import FieldError, FieldProblem, ValidationFailed
from resolvers.platform.keys import keyring_of
from resolvers.platform.otp import OtpSent
from settings import Settings
from tests.conftest import GraphQLClient
from tests.operations import operation

REQUEST_OTP = operation("RequestOtp")
ONLY_INDIA = "Codes can be sent to phone numbers in +91 only."
ONLY_MOBILES = "Codes can be sent to mobile numbers only."


async def ask(session: AsyncSession, settings: Settings, clock: FixedClock, phone: str) -> object:
    return await codes.request_code(
        session=session,
        phone=phone,
        purpose=OtpPurpose.BOOK_APPOINTMENT,
        now=clock.now(),
        keyring=keyring_of(settings),
        client_address="192.0.2.7",
        settings=settings,
    )


def refused(message: str) -> ValidationFailed:
    return ValidationFailed((FieldError("phone", FieldProblem.INVALID_CHOICE, message),))


@pytest.mark.parametrize(
    ("phone", "why"),
    [
        ("+9779812345678", "a mobile in Nepal"),
        ("+447911123456", "a mobile in the United Kingdom"),
        ("+12015550123", "a number in the United States"),
        ("+19005551234", "US premium rate (+1 900)"),
        ("+449090000000", "UK premium rate (+44 909)"),
        ("+881612345678", "satellite (+881)"),
    ],
)
async def test_numbers_outside_the_default_country_are_refused_as_the_phone_field(
    gql: GraphQLClient, session: AsyncSession, phone: str, why: str
) -> None:
    # when
    body = await gql(REQUEST_OTP, {"phone": phone, "purpose": "BOOK_APPOINTMENT"})
    # then
    result = body["data"]["requestOtp"]
    assert result["__typename"] == "ValidationFailed", why
    assert result["errors"] == [{"field": "phone", "message": ONLY_INDIA}]
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_an_indian_landline_is_refused_because_it_cannot_receive_a_text(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # when
    result = await ask(session, settings, clock, "+911123456789")
    # then
    assert result == refused(ONLY_MOBILES)


async def test_allowed_countries_are_a_setting(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    wider = dataclasses.replace(settings, otp_allowed_country_codes=("+91", "+44", "+1"))
    # when
    uk_mobile = await ask(session, wider, clock, "+447911123456")
    us_number = await ask(session, wider, clock, "+12015550123")
    nepal = await ask(session, wider, clock, "+9779812345678")
    # then
    assert isinstance(uk_mobile, OtpSent)
    assert isinstance(us_number, OtpSent)
    assert nepal == refused("Codes can be sent to phone numbers in +91, +44, +1 only.")


@pytest.mark.parametrize("phone", ["+449090000000", "+19005551234"])
async def test_premium_rate_numbers_are_refused_even_in_an_allowed_country(
    session: AsyncSession, settings: Settings, clock: FixedClock, phone: str
) -> None:
    # given
    wider = dataclasses.replace(settings, otp_allowed_country_codes=("+91", "+44", "+1"))
    # when
    result = await ask(session, wider, clock, phone)
    # then
    assert result == refused(ONLY_MOBILES)


async def test_satellite_numbers_are_refused_even_when_their_code_is_allowed(
    session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    careless = dataclasses.replace(settings, otp_allowed_country_codes=("+91", "+881"))
    # when
    result = await ask(session, careless, clock, "+881612345678")
    # then
    assert result == refused("Codes can be sent to phone numbers in +91, +881 only.")
