"""Request budgets against a real gunicorn in production mode: two workers, real TCP clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from settings import Settings
from tests.drills.support import Server, start_gunicorn, wait_for

pytestmark = pytest.mark.slow

BUDGET = 10  # a minute per address: one request refills every 6 seconds
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
async def live(database_url: str, settings: Settings) -> AsyncIterator[Server]:
    """gunicorn as the Procfile runs it in production, with two workers, over the test database."""
    server = start_gunicorn(
        "budgets",
        database_url,
        workers=2,
        log_prefix="hardening-",
        # The suite's pool mode: through CI's PgBouncer pass, as a transaction pooler wants.
        env={
            "DB_POOL_MODE": settings.db_pool_mode.value,
            "ENVIRONMENT": "production",
            "SECRET_KEY": "live-budget-test-secret-" + "s" * 20,
            "REQUEST_BUDGET_PER_ADDRESS": str(BUDGET),
        },
    )
    try:
        await wait_for(server, "/healthz", 200)
        yield server
    finally:
        server.stop()


def client_from(server: Server, address: str) -> httpx.AsyncClient:
    """A client whose connections come from ``address``, one new connection per request
    (so that gunicorn hands them to either worker)."""
    transport = httpx.AsyncHTTPTransport(
        local_address=address, limits=httpx.Limits(max_keepalive_connections=0)
    )
    return httpx.AsyncClient(base_url=server.origin, transport=transport, timeout=10)


async def test_a_flood_gets_429_with_retry_after_while_another_client_is_served(
    live: Server,
) -> None:
    # given a flooding client on 127.0.0.1 and a quiet one on 127.0.0.2
    async with client_from(live, "127.0.0.1") as flood, client_from(live, "127.0.0.2") as quiet:
        # when the flood sends two and a half budgets' worth, then the quiet client one request
        answers = [await flood.post("/graphql", json=TYPENAME) for _ in range(BUDGET * 5 // 2)]
        served = await quiet.post("/graphql", json=TYPENAME)
        health = await flood.get("/healthz")
    # then the first budget's worth is served across both workers, and most of the rest refused
    statuses = [answer.status_code for answer in answers]
    assert statuses[:BUDGET] == [200] * BUDGET
    refused = [answer for answer in answers if answer.status_code == 429]
    # (the budget refills one request every 6 s while the flood runs; it takes well under 30)
    assert len(refused) >= BUDGET
    for answer in refused:
        assert 1 <= int(answer.headers["retry-after"]) <= 6
        error = answer.json()["errors"][0]
        assert error["extensions"] == {
            "code": "RATE_LIMITED",
            "retryAfter": int(answer.headers["retry-after"]),
        }
    assert served.status_code == 200
    assert served.json() == {"data": {"__typename": "Query"}}
    assert health.status_code == 200
