"""RegisterDoctor: behind an OTP for the input's own phone; starts PENDING_ACTIVATION."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import Account, Category
from resolvers.accounts.passwords import verify_password
from resolvers.platform.clock import FixedClock
from tests import factories
from tests.accounts_support import request_code
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation

REGISTER = operation("RegisterDoctor")
ME = operation("MyAccount")
PHONE = "+919830011111"


@pytest.fixture
async def cardiology(session: AsyncSession) -> Category:
    category = await factories.make_category(session, "Cardiology")
    await session.commit()
    return category


def registration(**overrides: Any) -> dict[str, Any]:
    values = example_variables("RegisterDoctor")["input"]
    values.update(overrides)
    return {"input": values}


async def register(
    gql: GraphQLClient, session: AsyncSession, *, purpose: str = "REGISTER_DOCTOR", **fields: Any
) -> dict[str, Any]:
    variables = registration(**fields)
    code = await request_code(gql, session, phone=variables["input"]["phone"], purpose=purpose)
    variables["input"]["otpCode"] = code
    body = await gql(REGISTER, variables)
    result: dict[str, Any] = body["data"]["registerDoctor"]
    return result


async def test_a_doctor_registers_with_the_code_and_waits_for_activation(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category, clock: FixedClock
) -> None:
    # when
    result = await register(gql, session)
    # then
    assert result["__typename"] == "AuthPayload"
    assert result["account"]["status"] == "PENDING_ACTIVATION"
    assert result["account"]["email"] == "asha@example.org"
    assert result["expiresAt"] == (clock.now() + timedelta(hours=12)).isoformat()
    doctor = await session.scalar(select(Account))
    assert doctor is not None
    assert doctor.status is DoctorStatus.PENDING_ACTIVATION
    assert doctor.phone == PHONE
    assert doctor.public_number is None
    assert doctor.category_id == cardiology.id
    assert doctor.phone_visible is False
    assert doctor.password_hash.startswith("$argon2id$")
    assert verify_password(doctor.password_hash, "correct horse battery 9")


async def test_the_token_from_registration_signs_the_pending_doctor_in(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    result = await register(gql, session)
    # when
    body = await gql(ME, token=result["accessToken"])
    # then
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert me["status"] == "PENDING_ACTIVATION"
    assert me["publicId"] is None
    assert me["phone"] == PHONE
    assert me["category"] == {"id": str(cardiology.id), "name": "Cardiology"}


async def test_a_free_text_specialty_is_enough_without_a_category(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # when
    result = await register(gql, session, categoryId=None, categoryLabel="Ayurveda")
    # then
    assert result["__typename"] == "AuthPayload"
    doctor = await session.scalar(select(Account))
    assert doctor is not None
    assert (doctor.category_id, doctor.category_label) == (None, "Ayurveda")


async def test_the_time_zone_defaults_to_the_servers(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # when
    result = await register(gql, session, timeZone=None)
    # then
    assert result["__typename"] == "AuthPayload"
    assert await session.scalar(select(Account.time_zone)) == "Asia/Kolkata"


async def test_every_invalid_field_is_reported_at_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    variables = registration(
        name="  ",
        email="not-an-email",
        phone="12345",
        password="short",
        registrationNumber="",
        address="",
        city="x" * 101,
        categoryId="999",
        timeZone="Mars/Olympus",
        profilePictureUrl="ftp://example.org/me.png",
        otpCode="12ab",
    )
    # when
    body = await gql(REGISTER, variables)
    # then
    result = body["data"]["registerDoctor"]
    assert result["__typename"] == "ValidationFailed"
    assert sorted(error["field"] for error in result["errors"]) == sorted(
        [
            "name",
            "email",
            "phone",
            "password",
            "registrationNumber",
            "address",
            "city",
            "categoryId",
            "timeZone",
            "profilePictureUrl",
            "otpCode",
        ]
    )
    assert await session.scalar(select(func.count()).select_from(Account)) == 0


async def test_a_category_or_a_label_is_required(gql: GraphQLClient, session: AsyncSession) -> None:
    # when
    result = await register(gql, session, categoryId=None, categoryLabel="  ")
    # then
    assert result["__typename"] == "ValidationFailed"
    assert [error["field"] for error in result["errors"]] == ["categoryId"]


async def test_a_password_of_nine_characters_is_too_short(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # when
    result = await register(gql, session, password="123456789")
    # then
    assert result["__typename"] == "ValidationFailed"
    assert result["errors"] == [{"field": "password", "message": "Use at least 10 characters."}]


async def test_a_taken_email_is_already_exists_whatever_its_case(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    # when
    result = await register(gql, session, email="Asha@Example.org")
    # then
    assert result["__typename"] == "AlreadyExists"
    assert result["field"] == "email"


async def test_a_taken_registration_number_is_already_exists(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    await factories.make_doctor(session, registration_number="WBMC-12345")
    await session.commit()
    # when
    result = await register(gql, session)
    # then
    assert result["__typename"] == "AlreadyExists"
    assert result["field"] == "registrationNumber"


async def test_after_a_taken_email_the_same_code_still_works_with_another(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    variables = registration()
    variables["input"]["otpCode"] = await request_code(
        gql, session, phone=PHONE, purpose="REGISTER_DOCTOR"
    )
    first = await gql(REGISTER, variables)
    assert first["data"]["registerDoctor"]["__typename"] == "AlreadyExists"
    # when
    variables["input"]["email"] = "asha.rao@example.org"
    body = await gql(REGISTER, variables)
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "AuthPayload"


async def test_a_wrong_code_is_refused(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    code = await request_code(gql, session, phone=PHONE, purpose="REGISTER_DOCTOR")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # when
    body = await gql(REGISTER, registration(otpCode=wrong))
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "OtpInvalid"
    assert await session.scalar(select(func.count()).select_from(Account)) == 0


async def test_an_expired_code_is_refused(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category, clock: FixedClock
) -> None:
    # given
    code = await request_code(gql, session, phone=PHONE, purpose="REGISTER_DOCTOR")
    clock.advance(timedelta(minutes=10))
    # when
    body = await gql(REGISTER, registration(otpCode=code))
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "OtpInvalid"


async def test_a_code_works_until_just_before_it_expires(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category, clock: FixedClock
) -> None:
    # given
    code = await request_code(gql, session, phone=PHONE, purpose="REGISTER_DOCTOR")
    clock.advance(timedelta(minutes=9, seconds=59))
    # when
    body = await gql(REGISTER, registration(otpCode=code))
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "AuthPayload"


async def test_a_used_code_cannot_be_used_again(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    code = await request_code(gql, session, phone=PHONE, purpose="REGISTER_DOCTOR")
    first = await gql(REGISTER, registration(otpCode=code))
    assert first["data"]["registerDoctor"]["__typename"] == "AuthPayload"
    # when
    body = await gql(
        REGISTER,
        registration(otpCode=code, email="other@example.org", registrationNumber="WBMC-2"),
    )
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "OtpInvalid"


async def test_a_code_for_another_purpose_is_refused(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    code = await request_code(gql, session, phone=PHONE, purpose="BOOK_APPOINTMENT")
    # when
    body = await gql(REGISTER, registration(otpCode=code))
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "OtpInvalid"


async def test_a_code_sent_to_another_phone_is_refused(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    code = await request_code(gql, session, phone="9830099999", purpose="REGISTER_DOCTOR")
    # when
    body = await gql(REGISTER, registration(otpCode=code))
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "OtpInvalid"


async def test_five_wrong_codes_burn_the_challenge(
    gql: GraphQLClient, session: AsyncSession, cardiology: Category
) -> None:
    # given
    code = await request_code(gql, session, phone=PHONE, purpose="REGISTER_DOCTOR")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        missed = await gql(REGISTER, registration(otpCode=wrong))
        assert missed["data"]["registerDoctor"]["__typename"] == "OtpInvalid"
    # when
    body = await gql(REGISTER, registration(otpCode=code))
    # then
    assert body["data"]["registerDoctor"]["__typename"] == "OtpInvalid"
