"""Trusted proxies against the Procfile's gunicorn in production mode, over real sockets.

Linux routes all of 127.0.0.0/8 to loopback, so a client bound to 127.0.0.2 is a
peer the default TRUSTED_PROXIES does not trust, and one on 127.0.0.1 stands where a
reverse proxy on the same host would: it sends the X-Forwarded-For a proxy sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LoginAttempt
from settings import Settings
from tests import factories
from tests.drills.support import Server, start_gunicorn, wait_for
from tests.operations import operation

pytestmark = pytest.mark.slow

LOGIN = operation("Login")
UNTRUSTED_PEER = "127.0.0.2"
PROXY = "127.0.0.1"


@pytest.fixture(scope="module")
async def live(database_url: str, settings: Settings) -> AsyncIterator[Server]:
    """One production-mode gunicorn worker with the default trusted proxies."""
    server = start_gunicorn(
        "trusted-proxies",
        database_url,
        workers=1,
        log_prefix="hardening-",
        # The suite's pool mode: through CI's PgBouncer pass, as a transaction pooler wants.
        env={
            "DB_POOL_MODE": settings.db_pool_mode.value,
            "ENVIRONMENT": "production",
            "SECRET_KEY": "t" * 40,
        },
    )
    try:
        await wait_for(server, "/healthz", 200)
        yield server
    finally:
        server.stop()


async def login(
    server: Server, *, peer: str, email: str, password: str, forwarded_for: str | None = None
) -> str:
    """POST Login from a socket bound to ``peer``; the answer's __typename."""
    transport = httpx.AsyncHTTPTransport(local_address=peer)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    async with httpx.AsyncClient(base_url=server.origin, transport=transport, timeout=30) as http:
        response = await http.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"email": email, "password": password}},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    typename: str = response.json()["data"]["login"]["__typename"]
    return typename


async def recorded_addresses(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(LoginAttempt.client_ip).order_by(LoginAttempt.id))
    return list(rows.all())


async def test_a_spoofed_header_from_an_untrusted_peer_is_ignored_by_the_server(
    live: Server, session: AsyncSession
) -> None:
    # when: a client reaching gunicorn directly names another address
    answer = await login(
        live,
        peer=UNTRUSTED_PEER,
        email="someone@example.org",
        password="wrong password 1",
        forwarded_for="198.51.100.1",
    )
    # then: the limiter counted the socket's peer
    assert answer == "InvalidCredentials"
    assert await recorded_addresses(session) == [UNTRUSTED_PEER]


async def test_through_the_proxy_one_clients_failures_lock_out_no_one_else(
    live: Server, session: AsyncSession
) -> None:
    # given: one client behind the proxy tries twenty passwords for a chosen doctor
    await factories.make_doctor(session, email="asha@example.org")
    await session.commit()
    answers = {
        await login(
            live,
            peer=PROXY,
            email="asha@example.org",
            password=f"guess {n} abcdef",
            forwarded_for=f"198.51.100.{n}, 203.0.113.66",  # its own spoof, then the proxy's
        )
        for n in range(20)
    }
    # when: the doctor signs in through the same proxy from another address
    doctor = await login(
        live,
        peer=PROXY,
        email="asha@example.org",
        password=factories.DEFAULT_PASSWORD,
        forwarded_for="203.0.113.23",
    )
    # then
    assert answers == {"InvalidCredentials", "RateLimited"}
    assert doctor == "AuthPayload"
    assert set(await recorded_addresses(session)) == {"203.0.113.66", "203.0.113.23"}
