"""Drill: PostgreSQL restarts under open subscriptions; the streams stay open and catch up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import time as clock_time
from typing import Any

import pytest

from db import embedded
from db.session import Database
from settings import Settings
from tests import database as testdb
from tests.drills.support import Server, record, wait_for
from tests.subscriptions.support import (
    Socket,
    gauges,
    graphql,
    listeners,
    session_today,
    socket,
)
from tests.subscriptions.test_live_streams import SET_STATUS, WATCH_MY_PLACE, watching

pytestmark = [pytest.mark.drill, pytest.mark.slow]

WORKERS = 2


async def wait_for_listeners(url: str, count: int, *, within: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            if await listeners(url) == count:
                return time.monotonic() - started
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{count} listening connections did not come back within {within} s")


async def test_streams_survive_a_postgresql_restart_and_resume_with_the_current_state(
    cluster: tuple[str, embedded.EmbeddedServer], serve: Callable[..., Server]
) -> None:
    # given a session that has started, watched from both workers
    url, postgres = cluster
    database = Database(Settings(database_url=url))
    try:
        async with database.session() as session:
            day = await session_today(session, Settings(database_url=url), patients=1)
            day.schedule.start_time = clock_time(0, 1)
            await session.commit()
    finally:
        await database.dispose()
    patient = day.appointments[0]
    server = await asyncio.to_thread(serve, "live-restart", url, workers=WORKERS)
    await wait_for(server, "/readyz", 200)
    await wait_for_listeners(url, WORKERS)
    async with AsyncExitStack() as stack:
        sockets: list[Socket] = []
        spread: dict[int, dict[str, Any]] = {}
        while len(sockets) < 4 or (
            len(sockets) < 16 and not all(g["subscriptions"] for g in spread.values())
        ):
            sock = await stack.enter_async_context(socket(server))
            await sock.subscribe("place", WATCH_MY_PLACE, watching(patient, day.manage_token(0)))
            assert (await sock.next("place"))["payload"]["data"]["myAppointment"]["status"] == (
                "BOOKED"
            )
            sockets.append(sock)
            spread = await gauges(server, workers=WORKERS)
        # when the patient arrives without any notification (only a re-read can see it)
        await testdb.fetch(
            url, f"UPDATE appointments SET status = 'ARRIVED' WHERE id = {patient.id}"
        )
        # and PostgreSQL restarts
        await asyncio.to_thread(embedded.stop, postgres)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(embedded.restart, postgres)
        back_in = await wait_for_listeners(url, WORKERS)
        # then every stream, still open, resumes with the current state
        resumed = await asyncio.gather(*(sock.next("place", within=10) for sock in sockets))
        # and later changes are heard again as they commit
        await graphql(server, SET_STATUS, {"id": str(patient.id), "status": "COMPLETED"}, day.token)
        later = await asyncio.gather(*(sock.next("place", within=2) for sock in sockets))
    assert [m["payload"]["data"]["myAppointment"]["status"] for m in resumed] == (
        ["ARRIVED"] * len(sockets)
    )
    assert [m["payload"]["data"]["myAppointment"]["status"] for m in later] == (
        ["COMPLETED"] * len(sockets)
    )
    log = server.log()
    assert "Traceback" not in log
    assert log.count("the LISTEN connection dropped") == WORKERS
    record(
        "live streams across a PostgreSQL restart",
        streams=len(sockets),
        listening_again_s=f"{back_in:.1f}",
    )
