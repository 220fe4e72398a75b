"""Clients at chosen addresses: the app sees each request's socket peer as a server would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import GraphQLClient

# The loopback proxy TRUSTED_PROXIES trusts by default; documentation addresses as clients.
PROXY = "127.0.0.1"
ClientAt = Callable[..., GraphQLClient]


@pytest.fixture
async def client_at(app: Starlette) -> AsyncIterator[ClientAt]:
    """``client_at(peer, forwarded_for=None)``: a GraphQL client whose socket peer is ``peer``.

    With ``forwarded_for`` every request carries that X-Forwarded-For, as a proxy (or a
    client pretending) would send it.
    """
    opened: list[httpx.AsyncClient] = []

    def make(peer: str, forwarded_for: str | None = None) -> GraphQLClient:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(peer, 40000)),
            base_url="http://testserver",
            headers=headers,
        )
        opened.append(http)
        return GraphQLClient(http)

    yield make
    for http in opened:
        await http.aclose()


def through_proxy(client_at: ClientAt, client: str) -> GraphQLClient:
    """A client behind the trusted proxy, which appends the client's address to the header."""
    return client_at(PROXY, forwarded_for=client)
