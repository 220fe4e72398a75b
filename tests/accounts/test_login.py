"""Login: email and password give a signed token in any status; failures are rate-limited."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import LoginAttempt
from resolvers.accounts.tokens import read_token
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import keyring_of
from settings import Settings
from tests import factories
from tests.conftest import GraphQLClient
from tests.operations import operation
from tests.proxy_support import ClientAt, client_at, through_proxy

__all__ = ["client_at"]

LOGIN = operation("Login")
ME = operation("MyAccount")
PASSWORD = factories.DEFAULT_PASSWORD
# The ASGI test transport's peer address: the gql fixture's client.
LOOPBACK = "127.0.0.1"


async def login(gql: GraphQLClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    body = await gql(LOGIN, {"email": email, "password": password})
    result: dict[str, object] = body["data"]["login"]
    return result


def failure(email: str, address: str, at: datetime) -> LoginAttempt:
    """A failed login as the limiter records it."""
    return LoginAttempt(email=email, client_ip=address, succeeded=False, created_at=at)


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
    claims = read_token(str(result["accessToken"]), keyring=keyring_of(settings), now=clock.now())
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


async def test_after_three_failures_each_try_from_that_address_waits_twice_as_long(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given: three typos are free
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    for _ in range(3):
        assert (await login(gql, "asha@example.org", "typo typo 1"))[
            "__typename"
        ] == "InvalidCredentials"
    waits = []
    # when: each further failure is tried as soon as allowed
    for _ in range(3):
        limited = await login(gql, "asha@example.org", "typo typo 1")
        assert limited["__typename"] == "RateLimited"
        waits.append(limited["retryAfter"])
        clock.advance(timedelta(seconds=int(str(limited["retryAfter"]))))
        assert (await login(gql, "asha@example.org", "typo typo 1"))[
            "__typename"
        ] == "InvalidCredentials"
    # then
    assert waits == [2, 4, 8]
    assert (await login(gql, "asha@example.org"))["__typename"] == "RateLimited"
    clock.advance(timedelta(seconds=16))
    assert (await login(gql, "asha@example.org"))["__typename"] == "AuthPayload"


async def test_the_delay_for_one_address_is_at_most_fifteen_minutes(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given: twelve failures from the test client's address in the last fifteen minutes
    session.add_all(
        failure("asha@example.org", LOOPBACK, clock.now() - timedelta(minutes=12 - n))
        for n in range(12)
    )
    await session.commit()
    # when
    limited = await login(gql, "asha@example.org")
    # then: the latest failure was a minute ago; 2 s doubled nine times is past the cap
    assert limited == {
        "__typename": "RateLimited",
        "retryAfter": 14 * 60,
        "message": "Too many failed sign-ins; wait before trying again.",
    }


async def test_twenty_failed_logins_from_one_client_do_not_lock_the_doctor_out(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given: one client behind the proxy tries twenty passwords for a chosen doctor
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    attacker = through_proxy(client_at, "203.0.113.66")
    answers = {
        (await login(attacker, "asha@example.org", f"guess {n} abcdef"))["__typename"]
        for n in range(20)
    }
    assert answers == {"InvalidCredentials", "RateLimited"}
    # when: the doctor signs in from their own address, through the same proxy
    result = await login(through_proxy(client_at, "198.51.100.23"), "asha@example.org")
    # then
    assert result["__typename"] == "AuthPayload"


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
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    for _ in range(3):
        await login(gql, "asha@example.org", "typo typo typo")
    clock.advance(timedelta(seconds=2))
    assert (await login(gql, "asha@example.org"))["__typename"] == "AuthPayload"
    # when: without the success, the second typo would wait
    results = [await login(gql, "asha@example.org", "typo typo typo") for _ in range(2)]
    # then
    assert [result["__typename"] for result in results] == ["InvalidCredentials"] * 2


async def test_twenty_failures_from_one_address_lock_that_address_only(
    gql: GraphQLClient, client_at: ClientAt, session: AsyncSession, clock: FixedClock
) -> None:
    # given: one client failed for nineteen different emails over ten minutes
    await factories.make_doctor(session, email="asha@example.org")
    session.add_all(
        failure(f"guess{n}@example.org", LOOPBACK, clock.now() - timedelta(minutes=10))
        for n in range(19)
    )
    await session.commit()
    assert (await login(gql, "guess19@example.org", "whatever 123"))[
        "__typename"
    ] == "InvalidCredentials"
    # when
    locked = await login(gql, "asha@example.org")
    elsewhere = await login(client_at("198.51.100.23"), "asha@example.org")
    # then: locked until the oldest of the twenty is fifteen minutes old
    assert locked["__typename"] == "RateLimited"
    assert locked["retryAfter"] == 5 * 60
    assert elsewhere["__typename"] == "AuthPayload"


async def test_guesses_from_many_addresses_delay_new_addresses_by_at_most_a_minute(
    client_at: ClientAt, session: AsyncSession, clock: FixedClock
) -> None:
    # given: forty addresses each failed once for the doctor, the latest a second ago
    await factories.make_doctor(session, email="asha@example.org")
    session.add_all(
        failure("asha@example.org", f"203.0.113.{n}", clock.now() - timedelta(seconds=40 - n))
        for n in range(1, 40)
    )
    await session.commit()
    # when
    result = await login(client_at("198.51.100.23"), "asha@example.org")
    # then
    assert result["__typename"] == "RateLimited"
    assert result["retryAfter"] == 59


async def test_a_few_addresses_delay_new_addresses_a_little_growing(
    client_at: ClientAt, session: AsyncSession, clock: FixedClock
) -> None:
    # given: five addresses failed for the doctor just now: the first delay
    await factories.make_doctor(session, email="asha@example.org")
    session.add_all(failure("asha@example.org", f"203.0.113.{n}", clock.now()) for n in range(5))
    await session.commit()
    newcomer = client_at("198.51.100.23")
    first = await login(newcomer, "asha@example.org")
    # when: a sixth address fails
    session.add(failure("asha@example.org", "203.0.113.5", clock.now()))
    await session.commit()
    second = await login(newcomer, "asha@example.org")
    # then
    assert (first["__typename"], first["retryAfter"]) == ("RateLimited", 1)
    assert (second["__typename"], second["retryAfter"]) == ("RateLimited", 2)


async def test_an_address_the_doctor_signed_in_from_is_not_delayed_by_others(
    client_at: ClientAt, session: AsyncSession, clock: FixedClock
) -> None:
    # given: the doctor signed in from home three days ago; forty addresses guess now
    await factories.make_doctor(session, email="asha@example.org")
    home = "198.51.100.23"
    session.add(
        LoginAttempt(
            email="asha@example.org",
            client_ip=home,
            succeeded=True,
            created_at=clock.now() - timedelta(days=3),
        )
    )
    session.add_all(failure("asha@example.org", f"203.0.113.{n}", clock.now()) for n in range(40))
    await session.commit()
    # when
    result = await login(client_at(home), "asha@example.org")
    # then
    assert result["__typename"] == "AuthPayload"


async def test_concurrent_failures_from_one_address_never_pass_its_limit(
    client_at: ClientAt, session: AsyncSession, clock: FixedClock
) -> None:
    # given: eighteen failures from one address; two more are allowed
    address = "203.0.113.66"
    session.add_all(
        failure(f"guess{n}@example.org", address, clock.now() - timedelta(minutes=1))
        for n in range(18)
    )
    await session.commit()
    attacker = through_proxy(client_at, address)
    # when: six guesses for six more emails at once
    results = await asyncio.gather(
        *(login(attacker, f"other{n}@example.org", "guess 1234567") for n in range(6))
    )
    # then
    assert sorted(str(result["__typename"]) for result in results) == (
        ["InvalidCredentials"] * 2 + ["RateLimited"] * 4
    )
    recorded = await session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.client_ip == address)
    )
    assert recorded == 20


async def test_attempts_are_stored_in_postgresql(gql: GraphQLClient, session: AsyncSession) -> None:
    # when
    await login(gql, "Someone@Example.org", "whatever 123")
    # then
    attempt = await session.scalar(select(LoginAttempt))
    assert attempt is not None
    assert (attempt.email, attempt.succeeded) == ("someone@example.org", False)
    assert attempt.client_ip
    assert await session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
