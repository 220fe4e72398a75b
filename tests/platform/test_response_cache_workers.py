"""The response cache in gunicorn's workers: both cache, and a write on one is never stale on the other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import token_for
from tests.database import direct_url
from tests.drills.support import Server, start_gunicorn, wait_for

pytestmark = pytest.mark.slow

WORKERS = 2
WAIT_SECONDS = 30.0
DIRECTORY = "query Directory { doctors(orderBy: NAME, first: 50) { edges { node { name } } } }"
RENAME_ME = """mutation RenameMe($name: String!) {
  updateMyProfile(input: {name: $name}) { __typename }
}"""


@pytest.fixture
def server(database_url: str, settings: Settings) -> Iterator[Server]:
    env = {
        "DB_POOL_MODE": settings.db_pool_mode.value,
        "LIVE_LISTEN_URL": direct_url(database_url),
    }
    started = start_gunicorn(
        "response-cache", database_url, workers=WORKERS, log_prefix="cache-", env=env
    )
    yield started
    started.stop()


def _fresh_connections() -> httpx.AsyncHTTPTransport:
    # A new connection per request: gunicorn hands each to whichever worker accepts it.
    return httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))


async def _caches(client: httpx.AsyncClient) -> dict[int, dict[str, Any]]:
    """Each worker's cache gauge (/readyz), by worker pid, asking until both answered."""
    found: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + WAIT_SECONDS
    while len(found) < WORKERS and time.monotonic() < deadline:
        ready = (await client.get("/readyz")).json()
        found[ready["live"]["worker"]] = ready["cache"]
    assert len(found) == WORKERS, found
    return found


async def _read_until_both_workers_answered(client: httpx.AsyncClient) -> list[str]:
    """The directory over new connections until every worker has answered it at least twice."""
    names: list[str] = []
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        answer = await client.post("/graphql", json={"query": DIRECTORY})
        names += [edge["node"]["name"] for edge in answer.json()["data"]["doctors"]["edges"]]
        caches = await _caches(client)
        if all(cache["hits"] + cache["misses"] >= 2 for cache in caches.values()):
            return names
    raise AssertionError("a worker never answered")


async def test_both_workers_cache_and_a_rename_on_one_is_seen_at_once_on_both(
    session: AsyncSession, settings: Settings, server: Server
) -> None:
    # given: a doctor, and the directory cached by both workers
    doctor = await factories.make_doctor(session, name="Dr. Anita Roy")
    await session.commit()
    # The server runs on the real clock.
    token = token_for(doctor, settings=settings, clock=FixedClock(datetime.now(UTC)))
    await wait_for(server, "/healthz", 200)
    async with httpx.AsyncClient(
        base_url=server.origin, transport=_fresh_connections(), timeout=WAIT_SECONDS
    ) as client:
        before = await _read_until_both_workers_answered(client)
        warmed = await _caches(client)

        # when: the doctor renames themselves on one worker, and the directory is read at once
        renamed = await client.post(
            "/graphql",
            json={"query": RENAME_ME, "variables": {"name": "Dr. Anita Sen"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        after = await _read_until_both_workers_answered(client)

    # then: both workers served it from their cache before, and neither the old name after
    assert set(before) == {"Dr. Anita Roy"}
    assert all(cache["listening"] and cache["hits"] >= 1 for cache in warmed.values()), warmed
    assert renamed.json()["data"]["updateMyProfile"]["__typename"] == "ProfileUpdated"
    assert set(after) == {"Dr. Anita Sen"}
