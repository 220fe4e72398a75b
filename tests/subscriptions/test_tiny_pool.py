"""Patient streams on a pool of one connection: none holds it while it waits for another.

A patient's stream reads its own appointment in its own session and the board in
the shared read's. Were it to keep the first connection while the second is
checked out, streams reading at once would hold the whole pool, each waiting for a
second connection, until the pool's timeout failed them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from settings import Settings
from tests.drills.support import Server, start_gunicorn, wait_for
from tests.subscriptions.support import Socket, graphql, live_env, session_today, socket
from tests.subscriptions.test_live_streams import SET_STATUS, WATCH_MY_PLACE, watching

pytestmark = pytest.mark.slow

PATIENTS = 4


@pytest.fixture
async def tiny(database_url: str, settings: Settings) -> AsyncIterator[Server]:
    """One worker whose pool has one connection, and a pool timeout of a second."""
    env = live_env(settings) | {
        "DB_POOL_SIZE": "1",
        "DB_MAX_OVERFLOW": "0",
        "DB_POOL_TIMEOUT": "1",
    }
    server = start_gunicorn(
        "tiny-pool", database_url, workers=1, log_prefix="subscriptions-", env=env
    )
    try:
        await wait_for(server, "/healthz", 200)
        yield server
    finally:
        server.stop()


async def test_patient_streams_reading_at_once_on_a_pool_of_one_all_get_their_values(
    tiny: Server, session: AsyncSession, settings: Settings
) -> None:
    # given patients of one session, each watching their place
    day = await session_today(session, settings, patients=PATIENTS)
    async with AsyncExitStack() as stack:
        sockets: list[Socket] = []
        for index, appointment in enumerate(day.appointments):
            sock = await stack.enter_async_context(socket(tiny, address=f"127.0.0.{60 + index}"))
            await sock.subscribe(
                "place", WATCH_MY_PLACE, watching(appointment, day.manage_token(index))
            )
            sockets.append(sock)
        # then each gets its first value, none an error
        firsts = await asyncio.gather(*(sock.next("place") for sock in sockets))
        # when one change wakes them all at once
        answer = await graphql(
            tiny, SET_STATUS, {"id": str(day.appointments[0].id), "status": "ARRIVED"}, day.token
        )
        # then the patient who arrived sees it, and no stream failed
        update = await sockets[0].next("place")
        await asyncio.sleep(0.5)  # the others' re-reads (nothing of theirs changed) run too
        failed = [sock.pending("place") for sock in sockets[1:]]
    assert [first["type"] for first in firsts] == ["next"] * PATIENTS
    assert [f["payload"]["data"]["myAppointment"]["status"] for f in firsts] == [
        "BOOKED"
    ] * PATIENTS
    assert answer["data"]["setAppointmentStatus"]["__typename"] == "AppointmentUpdated"
    assert update["type"] == "next", update
    assert update["payload"]["data"]["myAppointment"]["status"] == "ARRIVED"
    assert failed == [0] * (PATIENTS - 1)
