"""Login: email and password give a signed token in any status; failures are rate-limited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import LoginAttempt
from resolvers.accounts.tokens import read_token
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.operations import operation

LOGIN = operation("Login")
ME = operation("MyAccount")
PASSWORD = factories.DEFAULT_PASSWORD


async def login(gql: GraphQLClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    body = await gql(LOGIN, {"email": email, "password": password})
    result: dict[str, object] = body["data"]["login"]
    return result


async def test_an_active_doctor_gets_a_token_with_role_and_version(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    # when
    result = await login(gql, "  Asha@Example.org ")
    # then
    assert result["__typename"] == "AuthPayload"
    assert result["account"] == {
        "id": str(doctor.id),
        "status": "ACTIVE",
        "publicId": doctor.public_id,
    }
    assert result["expiresAt"] == (clock.now() + timedelta(hours=12)).isoformat()
    claims = read_token(str(result["accessToken"]), secret=settings.secret_key, now=clock.now())
    assert claims is not None
    assert (claims.account_id, claims.role.value, claims.version) == (doctor.id, "DOCTOR", 0)


async def test_a_pending_doctor_can_sign_in_to_see_that_they_wait(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    await factories.make_doctor(
        session, email="new@example.org", status=DoctorStatus.PENDING_ACTIVATION
    )
    await session.commit()
    # when
    result = await login(gql, "new@example.org")
    # then
    assert result["__typename"] == "AuthPayload"
    assert result["account"] == {"id": "1", "status": "PENDING_ACTIVATION", "publicId": None}


async def test_an_admin_signs_in_the_same_way(gql: GraphQLClient, session: AsyncSession) -> None:
    # given
    await factories.make_admin(session, email="admin@example.org")
    await session.commit()
    # when
    result = await login(gql, "admin@example.org")
    # then
    assert result["__typename"] == "AuthPayload"


async def test_a_wrong_password_and_an_unknown_email_look_the_same(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    # when
    wrong_password = await login(gql, "asha@example.org", "not the password")
    unknown_email = await login(gql, "nobody@example.org")
    # then
    assert wrong_password == unknown_email
    assert wrong_password == {
        "__typename": "InvalidCredentials",
        "message": "The email or password is wrong.",
    }


async def test_the_token_expires(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    token = str((await login(gql, "asha@example.org"))["accessToken"])
    clock.advance(timedelta(hours=12))
    # when
    body = await gql(ME, token=token)
    # then
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_five_failures_for_an_email_lock_it_for_fifteen_minutes(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    first_failure = clock.now()
    for _ in range(5):
        assert (await login(gql, "asha@example.org", "guess 1234567"))[
            "__typename"
        ] == "InvalidCredentials"
        clock.advance(timedelta(minutes=1))
    # when: even the right password waits
    limited = await login(gql, "asha@example.org")
    # then
    assert limited["__typename"] == "RateLimited"
    assert limited["retryAfter"] == int(
        (first_failure + timedelta(minutes=15) - clock.now()).total_seconds()
    )
    clock.set(first_failure + timedelta(minutes=15))
    assert (await login(gql, "asha@example.org"))["__typename"] == "AuthPayload"


async def test_a_locked_email_does_not_lock_other_emails(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    await factories.make_doctor(session, email="other@example.org")
    await session.commit()
    for _ in range(5):
        await login(gql, "asha@example.org", "guess 1234567")
    # when
    result = await login(gql, "other@example.org")
    # then
    assert result["__typename"] == "AuthPayload"


async def test_a_success_clears_the_earlier_failures_of_that_email(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    for _ in range(4):
        await login(gql, "asha@example.org", "typo typo typo")
    assert (await login(gql, "asha@example.org"))["__typename"] == "AuthPayload"
    # when
    result = await login(gql, "asha@example.org", "typo typo typo")
    # then
    assert result["__typename"] == "InvalidCredentials"


async def test_twenty_failures_from_one_address_lock_that_address(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given: one client tries twenty different emails
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    for n in range(20):
        await login(gql, f"guess{n}@example.org", "whatever 123")
    # when
    result = await login(gql, "asha@example.org")
    # then
    assert result["__typename"] == "RateLimited"
    assert result["retryAfter"] == 15 * 60


async def test_attempts_are_stored_in_postgresql(gql: GraphQLClient, session: AsyncSession) -> None:
    # when
    await login(gql, "Someone@Example.org", "whatever 123")
    # then
    attempt = await session.scalar(select(LoginAttempt))
    assert attempt is not None
    assert (attempt.email, attempt.succeeded) == ("someone@example.org", False)
    assert attempt.client_ip
    assert await session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
