"""A graphql-transport-ws client over real sockets, and the live servers' gauges and listeners."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from db.models import Account, Appointment, Schedule
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import database as testdb
from tests.accounts_support import token_for
from tests.drills.support import ROOT, Server
from tests.factories import make_appointment, make_doctor, make_schedule

PROTOCOL = Subprotocol("graphql-transport-ws")
LIVE_OPERATIONS = ROOT.parent / "shared" / "operations" / "live" / "live.graphql"

# The shared server's limits (tests/subscriptions/conftest.py): small, so tests reach them.
WORKERS = 2
PER_CONNECTION = 2
PER_ADDRESS = 3
MAX_DEPTH = 6
MAX_COST = 60
MAX_BYTES = 4096

# Every wait has an end, so a broken stream fails a test instead of hanging it.
WAIT_SECONDS = 10.0


def live_operation(name: str) -> str:
    """One of the frontend's session-day documents (shared/operations/live), by name."""
    for definition in parse(LIVE_OPERATIONS.read_text()).definitions:
        named = isinstance(definition, OperationDefinitionNode) and definition.name is not None
        if named and definition.name.value == name:  # type: ignore[attr-defined]
            return print_ast(DocumentNode(definitions=(definition,)))
    raise KeyError(name)


def live_env(settings: Settings) -> dict[str, str]:
    return {
        # The suite's pool mode: through CI's PgBouncer pass this server polls.
        "DB_POOL_MODE": settings.db_pool_mode.value,
        "LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION": str(PER_CONNECTION),
        "LIVE_MAX_SUBSCRIPTIONS_PER_ADDRESS": str(PER_ADDRESS),
        "LIVE_INIT_SECONDS": "1",
        "LIVE_POLL_SECONDS": "0.25",
        # No safety-net re-read during a test: what arrives came from NOTIFY (or the poll).
        "LIVE_RESYNC_SECONDS": "600",
        "GRAPHQL_MAX_DEPTH": str(MAX_DEPTH),
        "GRAPHQL_MAX_COST": str(MAX_COST),
        "MAX_REQUEST_BYTES": str(MAX_BYTES),
    }


def today_in_kolkata() -> date:
    """The session day a live server (on the real clock) takes for today."""
    return datetime.now(ZoneInfo("Asia/Kolkata")).date()


@dataclass
class Sessionday:
    """A doctor's session today with booked patients, and the doctor's bearer token."""

    doctor: Account
    schedule: Schedule
    day: date
    appointments: list[Appointment]
    token: str

    def manage_token(self, index: int) -> str:
        return f"manage-token-{index}"


async def session_today(
    session: AsyncSession, settings: Settings, *, patients: int = 3
) -> Sessionday:
    """A committed doctor, a schedule on today's weekday, and ``patients`` bookings for today."""
    day = today_in_kolkata()
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=day.weekday())
    booked = [
        await make_appointment(session, schedule, day, manage_token=f"manage-token-{index}")
        for index in range(patients)
    ]
    await session.commit()
    token = token_for(doctor, settings=settings, clock=FixedClock(datetime.now(UTC)))
    return Sessionday(doctor, schedule, day, booked, token)


@dataclass
class Socket:
    """One graphql-transport-ws connection: init, subscribe, and the messages that come back."""

    ws: ClientConnection
    received: dict[str, asyncio.Queue[dict[str, Any]]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None

    async def init(self) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": {}})
        ack = await self._recv()
        assert ack["type"] == "connection_ack", ack
        self.reader = asyncio.create_task(self._read())
        return ack

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def subscribe(self, op: str, query: str, variables: dict[str, Any]) -> None:
        self.received.setdefault(op, asyncio.Queue())
        await self.send(
            {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def complete(self, op: str) -> None:
        await self.send({"id": op, "type": "complete"})

    async def next(self, op: str, *, within: float = WAIT_SECONDS) -> dict[str, Any]:
        """The next message of operation ``op`` (next, error or complete)."""
        queue = self.received.setdefault(op, asyncio.Queue())
        return await asyncio.wait_for(queue.get(), within)

    async def until(
        self, op: str, wanted: Callable[[dict[str, Any]], bool], *, within: float
    ) -> dict[str, Any]:
        """The first message of ``op`` that is ``wanted``, within ``within`` seconds from now.

        A stream sends the state as it reads it: under a poll, a patient's estimate
        (which moves with the clock) may bring values before the one a test waits for.
        """
        deadline = time.monotonic() + within
        while True:
            message = await self.next(op, within=max(deadline - time.monotonic(), 0.001))
            if wanted(message):
                return message

    def pending(self, op: str) -> int:
        return self.received.setdefault(op, asyncio.Queue()).qsize()

    async def _recv(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), WAIT_SECONDS)
        # The protocol's messages are text frames: a browser's client cannot read binary ones.
        assert isinstance(raw, str), raw
        message: dict[str, Any] = orjson.loads(raw)
        return message

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                assert isinstance(raw, str), raw  # text frames, as in _recv
                message = orjson.loads(raw)
                if message.get("type") == "ping":
                    await self.send({"type": "pong"})
                    continue
                if "id" in message:
                    self.received.setdefault(message["id"], asyncio.Queue()).put_nowait(message)
        except ConnectionClosed:
            return

    async def closed(self, *, within: float = WAIT_SECONDS) -> int | None:
        """Wait for the server to close the socket; its close code."""
        await asyncio.wait_for(self.ws.wait_closed(), within)
        return self.ws.close_code


@asynccontextmanager
async def socket(
    server: Server, *, address: str = "127.0.0.1", init: bool = True
) -> AsyncIterator[Socket]:
    url = server.origin.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=[PROTOCOL],
        local_addr=(address, 0),
        open_timeout=WAIT_SECONDS,
    ) as ws:
        opened = Socket(ws)
        if init:
            await opened.init()
        try:
            yield opened
        finally:
            if opened.reader is not None:
                opened.reader.cancel()


async def graphql(server: Server, query: str, variables: dict[str, Any], token: str) -> Any:
    async with httpx.AsyncClient(base_url=server.origin, timeout=WAIT_SECONDS) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return response.json()


async def gauges(server: Server, *, workers: int) -> dict[int, dict[str, Any]]:
    """Each worker's live gauge (/readyz), by worker pid: one more open connection until all answered.

    The connections stay open until then: the workers take turns by open connections
    (app/balance.py), so a worker holding a stream takes the next connection only once
    the others hold as many.
    """
    found: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + WAIT_SECONDS
    async with AsyncExitStack() as stack:
        while len(found) < workers and time.monotonic() < deadline:
            client = httpx.AsyncClient(base_url=server.origin, timeout=5)
            await stack.enter_async_context(client)
            live = (await client.get("/readyz")).json()["live"]
            found[live["worker"]] = live
    assert len(found) == workers, found
    return found


async def settled_gauges(
    server: Server, *, workers: int, expect: dict[str, int]
) -> dict[int, dict[str, Any]]:
    """The gauges once every worker shows ``expect`` (closing sockets take a moment to unwind)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found = await gauges(server, workers=workers)
        if all(
            all(gauge[name] == value for name, value in expect.items()) for gauge in found.values()
        ):
            return found
        if time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def listeners(database_url: str) -> int:
    """Connections LISTENing for live updates (the hubs' own), from pg_stat_activity."""
    rows = await testdb.fetch(
        database_url,
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE application_name = 'medimyth-live' AND datname = current_database()",
    )
    return int(rows[0]["n"])
