"""Live servers of their own: SIGTERM closes every stream with 1001, and the pooler modes.

Behind a transaction pooler LISTEN hears nothing: without LIVE_LISTEN_URL the worker
polls, with it the worker LISTENs on that URL. Both must deliver within a second.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from settings import Settings
from tests.database import direct_url
from tests.drills.support import Server, graceful_timeout, start_gunicorn, wait_for
from tests.subscriptions.support import (
    Socket,
    gauges,
    graphql,
    listeners,
    session_today,
    socket,
)
from tests.subscriptions.test_live_streams import SET_STATUS, WATCH_MY_PLACE, watching

pytestmark = pytest.mark.slow

WORKERS = 2


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(name: str, database_url: str, env: dict[str, str]) -> Server:
        server = start_gunicorn(
            name, database_url, workers=WORKERS, log_prefix="subscriptions-", env=env
        )
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


async def booted(server: Server) -> Server:
    await wait_for(server, "/healthz", 200)
    return server


async def test_sigterm_closes_every_stream_with_1001_and_leaves_no_listener(
    serve: Callable[..., Server], database_url: str, session: AsyncSession, settings: Settings
) -> None:
    # given streams open on both workers of a server
    day = await session_today(session, settings, patients=1)
    server = await booted(
        serve("sigterm", database_url, {"DB_POOL_MODE": settings.db_pool_mode.value})
    )
    async with AsyncExitStack() as stack:
        sockets: list[Socket] = []
        spread: dict[int, dict[str, Any]] = {}
        while len(sockets) < 4 or (
            len(sockets) < 16 and not all(g["subscriptions"] for g in spread.values())
        ):
            sock = await stack.enter_async_context(socket(server))
            await sock.subscribe(
                "place", WATCH_MY_PLACE, watching(day.appointments[0], "manage-token-0")
            )
            assert (await sock.next("place"))["type"] == "next"
            sockets.append(sock)
            spread = await gauges(server, workers=WORKERS)
        # when the master is told to stop, as a platform does on a deploy
        stopping = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        codes = await asyncio.gather(*(sock.closed(within=graceful_timeout()) for sock in sockets))
        closed_within = time.monotonic() - stopping
        exit_code = await asyncio.to_thread(server.process.wait, graceful_timeout() + 5)
    # then every stream was closed with "going away", well within the graceful timeout
    assert codes == [1001] * len(sockets)
    assert closed_within < graceful_timeout()
    assert exit_code == 0
    # and no listening connection, task or error was left behind
    assert await listeners(database_url) == 0
    log = server.log()
    assert "Traceback" not in log
    assert "Task was destroyed" not in log
    assert "Cancel" not in log  # uvicorn's "Cancel N running task(s)" after the timeout


@pytest.mark.parametrize("listen_url", [False, True], ids=["polling", "LIVE_LISTEN_URL"])
async def test_behind_a_transaction_pooler_a_stream_still_updates_within_a_second(
    serve: Callable[..., Server],
    database_url: str,
    session: AsyncSession,
    settings: Settings,
    listen_url: bool,
) -> None:
    # given a server in transaction pool mode, with or without a listening URL
    day = await session_today(session, settings, patients=1)
    env = {"DB_POOL_MODE": "transaction", "LIVE_POLL_SECONDS": "0.25"}
    if listen_url:
        # Directly to PostgreSQL (in CI's pass the suite's URL is PgBouncer's, which
        # cannot LISTEN): in production, the session pooler's or the direct URL.
        env["LIVE_LISTEN_URL"] = direct_url(database_url)
    server = await booted(serve(f"pooled-{listen_url}", database_url, env))
    patient = day.appointments[0]
    async with socket(server) as sock:
        await sock.subscribe("place", WATCH_MY_PLACE, watching(patient, "manage-token-0"))
        assert (await sock.next("place"))["type"] == "next"
        # when the patient arrives
        await graphql(server, SET_STATUS, {"id": str(patient.id), "status": "ARRIVED"}, day.token)
        committed = time.monotonic()
        update = await sock.next("place", within=1.0)
        received = time.monotonic()
        found = await gauges(server, workers=WORKERS)
    # then the stream has it within a second, polled or heard
    assert update["payload"]["data"]["myAppointment"]["status"] == "ARRIVED"
    assert received - committed < 1.0
    assert {gauge["listening"] for gauge in found.values()} == {listen_url}
    assert await listeners(direct_url(database_url)) == (WORKERS if listen_url else 0)
