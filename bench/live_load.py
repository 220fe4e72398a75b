"""The live benchmark's subscribers: one process holding many graphql-transport-ws streams.

Run by bench/live.py in processes of their own (multiprocessing, spawn), so the
clients' CPU is not the server workers' (on 2 cores they still share the machine).
Each stream is one WebSocket with one subscription, as a phone or a waiting-room
screen holds it. The process opens its streams a few dozen at a time, reports
when each has its first answer (the current state), then records the wall-clock
time of every later ``next`` until told to stop, and sends the records back.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import uvloop
from websockets.exceptions import WebSocketException

from bench.graphql_ws import GraphQLWebSocket, ProtocolError

OPENING_AT_ONCE = 32
# What a refused, broken or slow stream raises: counted per stream, never fatal to the run.
FAILURES = (OSError, TimeoutError, RuntimeError, ProtocolError, WebSocketException, ValueError)


@dataclass(frozen=True, slots=True)
class Stream:
    """One subscriber: which stream of which bench session, with the operation to send."""

    index: int
    session: int
    kind: str  # "board" (WatchSession) or "patient" (WatchMyPlace)
    query: str
    variables: dict[str, Any]


@dataclass
class Records:
    """What one load process saw, sent back whole when it stops."""

    # (stream index, receipt time, the payload's updatedAt or None), for every later `next`
    receipts: list[tuple[int, float, str | None]] = field(default_factory=list)
    # stream index -> when the server completed it (a patient's final status)
    completed: dict[int, float] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    # stream index -> how many later `next` messages carried errors instead of data
    errors: dict[int, int] = field(default_factory=dict)
    opened: int = 0


def _updated_at(payload: Any) -> str | None:
    data = payload.get("data") if isinstance(payload, dict) else None
    board = data.get("liveSession") if isinstance(data, dict) else None
    value = board.get("updatedAt") if isinstance(board, dict) else None
    return value if isinstance(value, str) else None


async def _hold(
    stream: Stream,
    url: str,
    records: Records,
    gate: asyncio.Semaphore,
    first: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    try:
        async with gate:
            client = await GraphQLWebSocket.open(url, within=30)
            await client.subscribe("1", stream.query, stream.variables)
            events = client.events()
            initial = await asyncio.wait_for(anext(events), timeout=30)
            if initial.type != "next" or initial.payload.get("errors"):
                raise RuntimeError(f"first answer {initial.type}: {initial.payload!r}"[:300])
            records.opened += 1
    except FAILURES as error:  # a refused stream is counted, not fatal
        records.failed[stream.index] = repr(error)[:300]
        first.set()
        return
    first.set()
    try:
        async for event in events:
            now = time.time()
            if event.type == "next" and event.payload.get("errors"):
                records.errors[stream.index] = records.errors.get(stream.index, 0) + 1
            elif event.type == "next":
                records.receipts.append((stream.index, now, _updated_at(event.payload)))
            elif event.type == "complete":
                records.completed[stream.index] = now
                return
            else:
                records.failed[stream.index] = f"error: {event.payload!r}"[:300]
                return
    except FAILURES as error:
        if not stop.is_set():
            records.failed[stream.index] = f"lost: {error!r}"[:300]
    finally:
        await client.close()


async def _run(url: str, streams: list[Stream], pipe: Connection) -> None:
    records = Records()
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    stop = asyncio.Event()
    firsts = [asyncio.Event() for _ in streams]
    tasks = [
        asyncio.create_task(_hold(stream, url, records, gate, event, stop))
        for stream, event in zip(streams, firsts, strict=True)
    ]
    for event in firsts:
        await event.wait()
    pipe.send(("opened", records.opened, len(records.failed), list(records.failed.values())[:3]))
    records.receipts.clear()  # only what follows the opening counts
    records.errors.clear()
    await asyncio.to_thread(pipe.recv)  # "stop"
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(("records", records.receipts, records.completed, records.failed, records.errors))


def main(url: str, streams: list[Stream], pipe: Connection) -> None:
    """The process's entry point (picklable for multiprocessing's spawn)."""
    uvloop.run(_run(url, streams, pipe))
