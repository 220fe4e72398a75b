"""Drills: PostgreSQL down when gunicorn starts, and restarted while gunicorn is under load."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

import httpx
import pytest

from db import embedded
from db.outage import UNAVAILABLE_MESSAGE
from tests.drills.support import (
    CATEGORIES,
    Server,
    client_backends,
    record,
    run_load,
    wait_for,
)

pytestmark = [pytest.mark.drill, pytest.mark.slow]

WORKERS = 2
POOL_SIZE = 3
MAX_OVERFLOW = 2


def outage_log(server: Server) -> tuple[int, list[int]]:
    """How many outages the workers logged as begun, and the count each end line gave.

    The log must be quiet but truthful: no traceback and no "unexpected error" for a
    database that is down, one warning per worker when it goes, one with a count
    when it is back.
    """
    log = server.log()
    assert "unexpected error" not in log
    assert "Traceback" not in log
    began = log.count("database unavailable (")
    ended = [int(n) for n in re.findall(r"database available again; (\d+) requests failed", log)]
    return began, ended


async def test_a_server_started_while_the_database_is_down_recovers_without_a_restart(
    cluster: tuple[str, embedded.EmbeddedServer], serve: Callable[..., Server]
) -> None:
    # given PostgreSQL is down before the server starts
    url, database = cluster
    await asyncio.to_thread(embedded.stop, database)
    # when gunicorn boots anyway
    server = await asyncio.to_thread(serve, "database-down-at-start", url, workers=WORKERS)
    await wait_for(server, "/healthz", 200)
    async with httpx.AsyncClient(base_url=server.origin, timeout=30) as client:
        ready_while_down = (await client.get("/readyz")).status_code
        down = [await client.post("/graphql", json=CATEGORIES) for _ in range(10)]
        # and PostgreSQL comes up later
        await asyncio.to_thread(embedded.restart, database)
        back_at = time.monotonic()
        await wait_for(server, "/readyz", 200, within=30)
        ready_after = time.monotonic() - back_at
        up = [await client.post("/graphql", json=CATEGORIES) for _ in range(10)]
    # then the server stayed up and answered coded errors, then data, with no restart
    assert ready_while_down == 503
    assert {response.status_code for response in down} == {200}
    codes = {response.json()["errors"][0]["extensions"]["code"] for response in down}
    assert codes == {"INTERNAL_SERVER_ERROR"}
    assert all(response.json()["data"] is None for response in down)
    assert all(len(response.json()["data"]["categories"]) == 8 for response in up)
    assert server.process.poll() is None
    # and the log said so once, with the count, where it used to hold ten tracebacks
    assert {response.json()["errors"][0]["message"] for response in down} == {UNAVAILABLE_MESSAGE}
    began, ended = outage_log(server)
    assert 1 <= began <= WORKERS
    assert len(ended) == began
    assert sum(ended) == len(down)
    record(
        "database down at start",
        readyz_while_down=ready_while_down,
        coded_errors=f"{len(down)}/{len(down)} {sorted(codes)}",
        seconds_to_ready_after_start=f"{ready_after:.2f}",
        ok_after=f"{len(up)}/{len(up)}",
        outage_log_lines=f"{began} begun, {len(ended)} ended {ended}",
    )


async def test_a_database_restart_under_load_fails_a_bounded_burst_and_leaks_nothing(
    cluster: tuple[str, embedded.EmbeddedServer], serve: Callable[..., Server]
) -> None:
    # given a server under steady load
    url, database = cluster
    pool = {"DB_POOL_SIZE": str(POOL_SIZE), "DB_MAX_OVERFLOW": str(MAX_OVERFLOW)}
    server = await asyncio.to_thread(serve, "database-restart", url, workers=WORKERS, env=pool)
    await wait_for(server, "/readyz", 200)
    started = time.monotonic()
    load = asyncio.create_task(run_load(server.origin, clients=6, seconds=14, max_requests=20_000))
    # when PostgreSQL stops (fast: connections are cut) for about three seconds
    await asyncio.sleep(4)
    stopping_at = time.monotonic()
    await asyncio.to_thread(embedded.stop, database)
    await asyncio.sleep(3)
    await asyncio.to_thread(embedded.restart, database)
    back_at = time.monotonic()
    outcomes = await load
    # then every answer was clean, failures fell inside the outage only, and none after it
    failed = [outcome for outcome in outcomes if not outcome.ok]
    assert all(outcome.clean for outcome in outcomes), [o for o in outcomes if not o.clean][:5]
    assert {outcome.code for outcome in failed} <= {"INTERNAL_SERVER_ERROR"}
    assert failed, "the outage went unnoticed: the drill did not test anything"
    assert all(stopping_at <= outcome.ended and outcome.started <= back_at for outcome in failed)
    after = [outcome for outcome in outcomes if outcome.started > back_at]
    assert after
    assert all(outcome.ok for outcome in after)
    # and the pools hold no more connections than they may
    connections = await client_backends(url)
    assert connections <= WORKERS * (POOL_SIZE + MAX_OVERFLOW)
    await wait_for(server, "/readyz", 200, within=5)
    # and the log told the outage once per worker, counting every failed request
    began, ended = outage_log(server)
    assert 1 <= began <= WORKERS
    assert len(ended) == began
    assert sum(ended) == len(failed)
    record(
        "database restart under load",
        requests=len(outcomes),
        failed=len(failed),
        failed_window_seconds=f"{max(o.ended for o in failed) - min(o.started for o in failed):.2f}",
        outage_seconds=f"{back_at - stopping_at:.2f}",
        ok_after_restart=f"{len(after)}/{len(after)}",
        connections_after=connections,
        connection_bound=WORKERS * (POOL_SIZE + MAX_OVERFLOW),
        outage_log_lines=f"{began} begun, {len(ended)} ended {ended}",
        load_seconds=f"{time.monotonic() - started:.1f}",
    )
