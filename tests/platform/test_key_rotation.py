"""Key rotation: what the old key made keeps working while it is listed, and stops when it is not.

Each test talks to up to three servers over one database, as a deployment does
across a rotation: ``before`` knows only the old key, ``rotated`` the new key
first and the old one as previous, ``dropped`` only the new key.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date
from typing import Any, Protocol

import httpx
import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from db.enums import OtpPurpose
from db.models import Appointment, OtpChallenge, Schedule
from db.session import Database
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import Key, key_id
from resolvers.platform.otp import hash_code
from settings import Settings
from tests.accounts_support import error_code, sent_code
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import DEFAULT_PASSWORD, make_doctor, make_schedule
from tests.operations import example_variables, operation

LOGIN = operation("Login")
ME = operation("MyAccount")
REQUEST_OTP = operation("RequestOtp")
BOOK = operation("BookAppointment")
MY_APPOINTMENT = operation("MyAppointment")
CANCEL_MINE = operation("CancelMyAppointment")
RESET_PASSWORD = operation("ResetPassword")

OLD = "the signing key before the rotation, long enough"
NEW = "the signing key after the rotation, long enough too"
PHONE = "+919830012345"  # the booking example's patient phone
DEC_3 = date(2026, 12, 3)  # a Thursday two days after the fixed "now"
KEY = example_variables("BookAppointment")["input"]["idempotencyKey"]


class Servers(Protocol):
    def __call__(self, *keys: str) -> AbstractAsyncContextManager[GraphQLClient]: ...


@pytest.fixture
def server(settings: Settings, clock: FixedClock, database: Database) -> Servers:
    """A server whose SECRET_KEY is the first key given and SECRET_KEY_PREVIOUS the rest."""

    @asynccontextmanager
    async def serve(*keys: str) -> AsyncIterator[GraphQLClient]:
        keyed = dataclasses.replace(settings, secret_key=keys[0], secret_key_previous=keys[1:])
        app = create_app(keyed, clock=clock, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http)

    return serve


async def signed_in(gql: GraphQLClient, session: AsyncSession) -> str:
    doctor = await make_doctor(session, email="asha@example.org")
    await session.commit()
    body = await gql(LOGIN, {"email": doctor.email, "password": DEFAULT_PASSWORD})
    token: str = body["data"]["login"]["accessToken"]
    return token


async def viewer_id(gql: GraphQLClient, token: str) -> str | None:
    body = await gql(ME, token=token)
    me: dict[str, Any] | None = body["data"]["me"] if body.get("data") else None
    if me is None:
        assert error_code(body) == "UNAUTHENTICATED", body
        return None
    return str(me["id"])


def signed(header: dict[str, Any], claims: dict[str, Any], secret: str) -> str:
    """A JWS of these header and claims, signed HS256 with ``secret`` whatever the header says."""

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def encoded(value: dict[str, Any]) -> str:
        return part(json.dumps(value, separators=(",", ":")).encode())

    signing_input = f"{encoded(header)}.{encoded(claims)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


async def gql_data(gql: GraphQLClient, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await gql(document, variables)
    data: dict[str, Any] = body["data"]
    return data


async def book(gql: GraphQLClient, schedule: Schedule, **changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await gql_data(gql, BOOK, booking(schedule, DEC_3, **changes)))[
        "bookAppointment"
    ]
    return result


def keyed(settings: Settings, key: str) -> Settings:
    return dataclasses.replace(settings, secret_key=key, secret_key_previous=())


async def my_status(gql: GraphQLClient, booked: dict[str, Any]) -> str | None:
    body = await gql(
        MY_APPOINTMENT,
        {"publicId": booked["appointment"]["publicId"], "manageToken": booked["manageToken"]},
    )
    found = body["data"]["myAppointment"]
    return None if found is None else str(found["status"])


# Access tokens


async def test_a_session_from_before_the_rotation_lasts_until_its_key_is_dropped(
    server: Servers, session: AsyncSession
) -> None:
    # given a doctor signed in before the rotation
    async with server(OLD) as before:
        token = await signed_in(before, session)
    # when the server rotates, then drops the old key
    async with server(NEW, OLD) as rotated, server(NEW) as dropped:
        during = await viewer_id(rotated, token)
        after = await viewer_id(dropped, token)
    # then
    assert during == "1"
    assert after is None


async def test_a_sign_in_after_the_rotation_is_signed_with_the_new_key(
    server: Servers, session: AsyncSession
) -> None:
    # given
    async with server(NEW, OLD) as rotated:
        # when
        token = await signed_in(rotated, session)
    # then its header names the new key, and only the new key verifies it
    assert jwt.get_unverified_header(token)["kid"] == key_id(NEW)
    async with server(NEW) as new_only, server(OLD) as old_only:
        assert await viewer_id(new_only, token) == "1"
        assert await viewer_id(old_only, token) is None


@pytest.mark.parametrize(
    "kid", [key_id(NEW), "deadbeef", "", 7], ids=["other listed", "unknown", "empty", "number"]
)
async def test_a_token_naming_another_key_than_its_signer_is_refused(
    server: Servers, session: AsyncSession, kid: object
) -> None:
    # given the claims of a real session, signed with the old key under another key id
    async with server(OLD) as before:
        token = await signed_in(before, session)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = signed({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, OLD)
    honest = signed({"alg": "HS256", "typ": "JWT", "kid": key_id(OLD)}, claims, OLD)
    # when both keys are listed
    async with server(NEW, OLD) as rotated:
        genuine = await viewer_id(rotated, honest)
        refused = await viewer_id(rotated, forged)
    # then only the key the header names may verify it
    assert genuine == "1"
    assert refused is None


async def test_a_token_from_before_key_ids_is_tried_against_every_listed_key(
    server: Servers, session: AsyncSession
) -> None:
    # given a token signed with the old key and no key id, as tokens were before key ids
    async with server(OLD) as before:
        token = await signed_in(before, session)
    claims = jwt.decode(token, options={"verify_signature": False})
    legacy = jwt.encode(claims, OLD, algorithm="HS256")
    assert "kid" not in jwt.get_unverified_header(legacy)
    # when
    async with server(NEW, OLD) as rotated, server(NEW) as dropped:
        during = await viewer_id(rotated, legacy)
        after = await viewer_id(dropped, legacy)
    # then
    assert during == "1"
    assert after is None


# Manage tokens


async def test_a_manage_token_from_before_the_rotation_lasts_until_its_key_is_dropped(
    server: Servers, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a booking made before the rotation
    schedule = await make_schedule(session, await make_doctor(session), weekday=3)
    await give_code(session, PHONE, settings=keyed(settings, OLD), clock=clock)
    await session.commit()
    async with server(OLD) as before:
        booked = await book(before, schedule)
    assert booked["__typename"] == "Booked"
    identity = {"publicId": booked["appointment"]["publicId"], "manageToken": booked["manageToken"]}
    # when
    async with server(NEW) as dropped, server(NEW, OLD) as rotated:
        seen_after_drop = await my_status(dropped, booked)
        cancel_after_drop = (await gql_data(dropped, CANCEL_MINE, identity))["cancelMyAppointment"]
        seen_during = await my_status(rotated, booked)
        cancel_during = (await gql_data(rotated, CANCEL_MINE, identity))["cancelMyAppointment"]
    # then
    assert seen_after_drop is None
    assert cancel_after_drop["__typename"] == "NotFound"
    assert seen_during == "BOOKED"
    assert cancel_during["__typename"] == "AppointmentCancelled"


async def test_a_booking_after_the_rotation_gets_a_manage_token_of_the_new_key(
    server: Servers, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    schedule = await make_schedule(session, await make_doctor(session), weekday=3)
    await give_code(session, PHONE, settings=keyed(settings, NEW), clock=clock)
    await session.commit()
    # when
    async with server(NEW, OLD) as rotated:
        booked = await book(rotated, schedule)
    # then
    assert booked["__typename"] == "Booked"
    async with server(NEW) as new_only, server(OLD) as old_only:
        assert await my_status(new_only, booked) == "BOOKED"
        assert await my_status(old_only, booked) is None


async def test_a_booking_retried_across_the_rotation_answers_its_first_token(
    server: Servers, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a booking with an idempotency key whose answer the client never saw
    schedule = await make_schedule(session, await make_doctor(session), weekday=3)
    await give_code(session, PHONE, settings=keyed(settings, OLD), clock=clock)
    await session.commit()
    async with server(OLD) as before:
        first = await book(before, schedule, idempotencyKey=KEY)
    # when the client retries once the server has rotated
    async with server(NEW, OLD) as rotated:
        retry = await book(rotated, schedule, idempotencyKey=KEY)
    # then it is the same booking with the same token, not a conflict nor a new token
    assert retry["__typename"] == "Booked", retry
    assert retry["appointment"] == first["appointment"]
    assert retry["manageToken"] == first["manageToken"]
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 1


# One-time codes


@pytest.mark.parametrize(
    ("keys", "answer"), [((NEW, OLD), "Booked"), ((NEW,), "OtpInvalid")], ids=["rotated", "dropped"]
)
async def test_a_code_sent_before_the_rotation_works_while_its_key_is_listed(
    server: Servers, session: AsyncSession, keys: tuple[str, ...], answer: str
) -> None:
    # given a code texted before the rotation
    schedule = await make_schedule(session, await make_doctor(session), weekday=3)
    await session.commit()
    async with server(OLD) as before:
        sent = await gql_data(before, REQUEST_OTP, {"phone": PHONE, "purpose": "BOOK_APPOINTMENT"})
    assert sent["requestOtp"]["__typename"] == "OtpSent"
    code = await sent_code(session, PHONE)
    # when the patient books with it after the rotation
    async with server(*keys) as after:
        booked = await book(after, schedule, otpCode=code)
    # then
    assert booked["__typename"] == answer


async def test_a_code_sent_after_the_rotation_is_hashed_with_the_new_key(
    server: Servers, session: AsyncSession
) -> None:
    # when
    async with server(NEW, OLD) as rotated:
        await gql_data(rotated, REQUEST_OTP, {"phone": PHONE, "purpose": "BOOK_APPOINTMENT"})
    # then
    code = await sent_code(session, PHONE)
    stored = await session.scalar(select(OtpChallenge.code_hash))
    purpose = OtpPurpose.BOOK_APPOINTMENT
    assert stored == hash_code(key=Key.of(NEW), phone=PHONE, purpose=purpose, code=code)


async def test_a_password_reset_code_sent_before_the_rotation_still_resets(
    server: Servers, session: AsyncSession
) -> None:
    # given a reset code texted before the rotation
    doctor = await make_doctor(session, email="asha@example.org", phone=PHONE)
    await session.commit()
    async with server(OLD) as before:
        await gql_data(before, REQUEST_OTP, {"phone": PHONE, "purpose": "RESET_PASSWORD"})
    code = await sent_code(session, PHONE)
    reset = {"email": doctor.email, "phone": PHONE, "newPassword": "a brand new password 7"}
    # when
    async with server(NEW, OLD) as rotated:
        body = await gql_data(rotated, RESET_PASSWORD, {"input": {**reset, "otpCode": code}})
    # then
    assert body["resetPassword"]["__typename"] == "PasswordChanged"
