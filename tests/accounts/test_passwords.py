"""ChangePassword and ResetPassword: both bump the token version, so older tokens stop working."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import error_code, request_code, token_for
from tests.conftest import GraphQLClient
from tests.operations import example_variables, operation

CHANGE = operation("ChangePassword")
RESET = operation("ResetPassword")
LOGIN = operation("Login")
ME = operation("MyAccount")
NEW_PASSWORD = "a new long password"


@pytest.fixture
async def doctor(session: AsyncSession) -> Account:
    doctor = await factories.make_doctor(session, email="asha@example.org", phone="+919830011111")
    await session.commit()
    return doctor


async def login(gql: GraphQLClient, password: str) -> str:
    body = await gql(LOGIN, {"email": "asha@example.org", "password": password})
    return str(body["data"]["login"]["__typename"])


def change(current: str = factories.DEFAULT_PASSWORD, new: str = NEW_PASSWORD) -> dict[str, str]:
    return {"currentPassword": current, "newPassword": new}


async def test_changing_the_password_returns_a_new_token_and_retires_the_old_one(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # given
    old_token = token_for(doctor, settings=settings, clock=clock)
    # when
    body = await gql(CHANGE, example_variables("ChangePassword"), token=old_token)
    # then
    result = body["data"]["changePassword"]
    assert result["__typename"] == "AuthPayload"
    assert error_code(await gql(ME, token=old_token)) == "UNAUTHENTICATED"
    me = await gql(ME, token=result["accessToken"])
    assert me["data"]["me"]["id"] == str(doctor.id)
    assert await login(gql, NEW_PASSWORD) == "AuthPayload"
    assert await login(gql, factories.DEFAULT_PASSWORD) == "InvalidCredentials"


async def test_a_wrong_current_password_changes_nothing(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # given
    token = token_for(doctor, settings=settings, clock=clock)
    # when
    body = await gql(CHANGE, change(current="not my password"), token=token)
    # then
    assert body["data"]["changePassword"]["__typename"] == "InvalidCredentials"
    assert (await gql(ME, token=token))["data"]["me"]["id"] == str(doctor.id)
    assert await login(gql, factories.DEFAULT_PASSWORD) == "AuthPayload"


async def test_a_short_new_password_is_a_validation_error(
    gql: GraphQLClient, doctor: Account, settings: Settings, clock: FixedClock
) -> None:
    # when
    body = await gql(
        CHANGE, change(new="short"), token=token_for(doctor, settings=settings, clock=clock)
    )
    # then
    result = body["data"]["changePassword"]
    assert result["__typename"] == "ValidationFailed"
    assert [error["field"] for error in result["errors"]] == ["newPassword"]


async def test_changing_the_password_needs_a_token(gql: GraphQLClient, doctor: Account) -> None:
    # when
    body = await gql(CHANGE, change())
    # then
    assert error_code(body) == "UNAUTHENTICATED"


def reset(**overrides: Any) -> dict[str, Any]:
    values = example_variables("ResetPassword")["input"]
    values.update(overrides)
    return {"input": values}


async def test_a_reset_with_email_phone_and_code_sets_the_password_and_retires_tokens(
    gql: GraphQLClient,
    session: AsyncSession,
    doctor: Account,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given
    old_token = token_for(doctor, settings=settings, clock=clock)
    code = await request_code(gql, session, phone="9830011111", purpose="RESET_PASSWORD")
    # when
    body = await gql(RESET, reset(otpCode=code))
    # then
    assert body["data"]["resetPassword"]["__typename"] == "PasswordChanged"
    assert await login(gql, NEW_PASSWORD) == "AuthPayload"
    assert error_code(await gql(ME, token=old_token)) == "UNAUTHENTICATED"


async def test_a_reset_with_a_wrong_code_is_refused(
    gql: GraphQLClient, session: AsyncSession, doctor: Account
) -> None:
    # given
    code = await request_code(gql, session, phone="9830011111", purpose="RESET_PASSWORD")
    # when
    body = await gql(RESET, reset(otpCode=f"{(int(code) + 7) % 1_000_000:06d}"))
    # then
    assert body["data"]["resetPassword"]["__typename"] == "OtpInvalid"
    assert await login(gql, factories.DEFAULT_PASSWORD) == "AuthPayload"


async def test_a_reset_with_a_registration_code_is_refused(
    gql: GraphQLClient, session: AsyncSession, doctor: Account
) -> None:
    # given
    code = await request_code(gql, session, phone="9830011111", purpose="REGISTER_DOCTOR")
    # when
    body = await gql(RESET, reset(otpCode=code))
    # then
    assert body["data"]["resetPassword"]["__typename"] == "OtpInvalid"


async def test_a_reset_for_an_email_that_does_not_match_the_phone_is_not_found(
    gql: GraphQLClient, session: AsyncSession, doctor: Account
) -> None:
    # given
    code = await request_code(gql, session, phone="9830011111", purpose="RESET_PASSWORD")
    # when
    body = await gql(RESET, reset(otpCode=code, email="someone.else@example.org"))
    # then
    assert body["data"]["resetPassword"]["__typename"] == "NotFound"
    # and the code still works once the email is right
    retry = await gql(RESET, reset(otpCode=code))
    assert retry["data"]["resetPassword"]["__typename"] == "PasswordChanged"


async def test_a_reset_reports_every_bad_field(gql: GraphQLClient, doctor: Account) -> None:
    # when
    body = await gql(RESET, reset(email="nope", phone="123", newPassword="short", otpCode=""))
    # then
    result = body["data"]["resetPassword"]
    assert result["__typename"] == "ValidationFailed"
    assert sorted(error["field"] for error in result["errors"]) == [
        "email",
        "newPassword",
        "otpCode",
        "phone",
    ]
