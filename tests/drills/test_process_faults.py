"""Drills: SIGTERM to the gunicorn master under load, and a worker killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Callable

import asyncpg
import httpx
import pytest

from db import embedded
from tests import database as testdb
from tests.drills.support import (
    CATEGORIES,
    Server,
    graceful_timeout,
    record,
    run_load,
    wait_for,
    wait_for_workers,
)

pytestmark = [pytest.mark.drill, pytest.mark.slow]

WORKERS = 2
# Requests held inside the server (waiting on a table lock) when SIGTERM arrives.
IN_FLIGHT = 6
# How long they stay held after SIGTERM: the master must wait for them, not cut them.
HELD_AFTER_SIGTERM = 2.0


async def _waiting_on_locks(url: str, count: int) -> None:
    """Wait until count backends block on a lock: the requests are in flight inside the app."""
    # A connection of its own, outside any transaction: pg_stat_activity is a snapshot
    # taken once per transaction, so the lock holder would never see anyone arrive.
    dsn, kwargs = testdb.asyncpg_dsn(url)
    monitor = await asyncpg.connect(dsn, **kwargs)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = await monitor.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            if waiting >= count:
                return
            await asyncio.sleep(0.1)
    finally:
        await monitor.close()
    raise AssertionError(f"only {waiting} of {count} requests reached the database")


def _accepts_connections(origin: str) -> bool:
    host, port = origin.removeprefix("http://").split(":")
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, int(port))) == 0


async def test_sigterm_under_load_lets_in_flight_requests_finish_and_exits_in_time(
    cluster: tuple[str, embedded.EmbeddedServer], serve: Callable[..., Server]
) -> None:
    # given requests held in flight by a lock on categories, and a light load beside them
    url, _ = cluster
    # The held requests wait on a lock for seconds on purpose: longer than a statement may take.
    patient = {"DB_STATEMENT_TIMEOUT_MS": "60000"}
    server = await asyncio.to_thread(serve, "sigterm", url, workers=WORKERS, env=patient)
    await wait_for(server, "/readyz", 200)
    dsn, kwargs = testdb.asyncpg_dsn(url)
    locker = await asyncpg.connect(dsn, **kwargs)
    lock = locker.transaction()
    await lock.start()
    await locker.execute("LOCK TABLE categories IN ACCESS EXCLUSIVE MODE")
    limits = httpx.Limits(max_connections=IN_FLIGHT)
    async with httpx.AsyncClient(base_url=server.origin, timeout=60, limits=limits) as client:
        # Each held request its own document (a comment apart): identical ones would wait
        # for the first one's answer in the response cache instead of each reaching the
        # database, and this drill holds requests inside PostgreSQL.
        held = [
            asyncio.create_task(
                client.post(
                    "/graphql",
                    json={**CATEGORIES, "query": f"{CATEGORIES['query']}\n# held request {n}"},
                )
            )
            for n in range(IN_FLIGHT)
        ]
        await _waiting_on_locks(url, IN_FLIGHT)
        typename = {"query": "{ __typename }"}
        load = asyncio.create_task(
            run_load(server.origin, clients=2, seconds=6, max_requests=5_000, body=typename)
        )
        await asyncio.sleep(1)
        # when the master gets SIGTERM
        signalled_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(HELD_AFTER_SIGTERM)
        alive_while_held = server.process.poll() is None
        accepting_while_held = await asyncio.to_thread(_accepts_connections, server.origin)
        await lock.commit()
        responses = await asyncio.gather(*held)
        limit = graceful_timeout()
        code = await asyncio.to_thread(server.process.wait, limit + 30)
        exited_after = time.monotonic() - signalled_at
        outcomes = await load
    await locker.close()
    # then every held request got its full answer, and the master exited in time
    assert alive_while_held
    assert not accepting_while_held
    assert [response.status_code for response in responses] == [200] * IN_FLIGHT
    assert all(len(response.json()["data"]["categories"]) == 8 for response in responses)
    assert code == 0
    assert exited_after < limit
    # and the light load saw no server error: answers before, refused connections after
    assert all(outcome.status in (200, None) for outcome in outcomes)
    assert all(outcome.ok for outcome in outcomes if outcome.ended < signalled_at)
    assert all(outcome.ended >= signalled_at for outcome in outcomes if not outcome.ok)
    record(
        "sigterm under load",
        held_requests_completed=f"{len(responses)}/{IN_FLIGHT}",
        held_after_sigterm_seconds=HELD_AFTER_SIGTERM,
        master_exit_seconds=f"{exited_after:.2f}",
        graceful_timeout=limit,
        exit_code=code,
        light_load_ok=sum(outcome.ok for outcome in outcomes),
        light_load_refused_after_sigterm=sum(not outcome.ok for outcome in outcomes),
    )


async def test_a_worker_killed_with_sigkill_is_replaced_and_serving_continues(
    cluster: tuple[str, embedded.EmbeddedServer], serve: Callable[..., Server]
) -> None:
    # given a server under steady load
    url, _ = cluster
    server = await asyncio.to_thread(serve, "sigkill", url, workers=WORKERS)
    await wait_for(server, "/readyz", 200)
    originals = await wait_for_workers(server, WORKERS, without=set())
    stop_load = asyncio.Event()
    load = asyncio.create_task(
        run_load(server.origin, clients=4, seconds=60, max_requests=20_000, stop=stop_load)
    )
    await asyncio.sleep(2)
    # when each original worker in turn is killed, the second only after the first is replaced
    killed_at = time.monotonic()
    replaced = originals
    for index, victim in enumerate(originals):
        os.kill(victim, signal.SIGKILL)
        replaced = await wait_for_workers(server, WORKERS, without=set(originals[: index + 1]))
        await asyncio.sleep(2)
    settled_at = time.monotonic()
    await asyncio.sleep(3)
    stop_load.set()
    outcomes = await load
    # then the master replaced both, stayed up, and every request after that succeeded
    assert server.process.poll() is None
    assert len(replaced) == WORKERS
    assert not set(replaced) & set(originals)
    assert all(outcome.status in (200, None) for outcome in outcomes)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    # At most the requests in flight on a killed worker's connections: one per client each time.
    assert len(failed) <= 4 * WORKERS
    assert all(outcome.ended >= killed_at for outcome in failed)
    after = [outcome for outcome in outcomes if outcome.started > settled_at]
    assert after
    assert all(outcome.ok for outcome in after)
    await wait_for(server, "/readyz", 200, within=5)
    record(
        "worker sigkill",
        workers_killed=len(originals),
        workers_replaced=len(replaced),
        requests=len(outcomes),
        failed=len(failed),
        ok_after_replacement=f"{len(after)}/{len(after)}",
    )
