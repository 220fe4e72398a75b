"""The trail records the address the request came from, as the trusted-proxy rules settle it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.audit_support import signed_in_admin, trail
from tests.operations import operation
from tests.proxy_support import ClientAt, client_at, through_proxy

__all__ = ["client_at"]

LOGIN = operation("Login")
FAILED = {"email": "someone@example.org", "password": "wrong password 1"}


async def test_a_spoofed_header_changes_nothing_and_a_proxied_client_is_recorded_exactly(
    client_at: ClientAt, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    _, token = await signed_in_admin(session, settings=settings, clock=clock)
    direct = client_at("203.0.113.9", forwarded_for="198.51.100.1")  # names another address
    proxied = through_proxy(client_at, "2001:db8:1:2::5")
    # when
    await direct(LOGIN, FAILED)
    await proxied(LOGIN, FAILED)
    events = await trail(direct, token)
    # then: the socket peer, and the proxied IPv6 client itself (the limits count its /64)
    assert [event["clientAddress"] for event in events] == ["2001:db8:1:2::5", "203.0.113.9"]
