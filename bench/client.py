"""A lean HTTP/1.1 keep-alive load client: N connections, each posting one request in a loop.

Why not httpx or aiohttp: on a 2-core box the client shares the CPU with the
server and PostgreSQL, so every microsecond it spends is taken from what is
measured. This client sends pre-encoded request bytes and reads the answer by
Content-Length; per request it parses only the status line and headers.

Connections are spread evenly over the server's worker processes (see
``open_spread``): gunicorn lets whichever worker accepts first keep a keep-alive
connection for good, so 16 connections opened at once can land 12 on one worker
and 4 on the other, and the same code then measures anywhere between one and two
workers' worth (observed: 252 and 617 req/s a minute apart). Many real users on
short-lived connections spread statistically; the bench gets there deterministically.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections import Counter
from dataclasses import dataclass, field

STATEMENTS_HEADER = b"x-bench-statements"
WORKER_HEADER = b"x-bench-worker"


def worker_id() -> bytes:
    """The serving process, for WORKER_HEADER (read per response: workers fork after import)."""
    return str(os.getpid()).encode()


@dataclass(frozen=True, slots=True)
class Request:
    """A POST to ``path`` with a JSON body, encoded once."""

    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self, host: str) -> bytes:
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/json",
            f"Content-Length: {len(self.body)}",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statements: int = 0
    counted: int = 0
    last_error: str | None = None


class ResponseError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    statements: int | None
    worker: bytes | None


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> Answer:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    statements: int | None = None
    worker: bytes | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == STATEMENTS_HEADER:
            statements = int(value)
        elif lowered == WORKER_HEADER:
            worker = value.strip()
        elif lowered == b"transfer-encoding":
            raise ResponseError("chunked answers are not expected from this server")
    body = await reader.readexactly(length)
    return Answer(status, body, statements, worker)


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def open_spread(
    host: str, port: int, raw: bytes, *, clients: int, workers: int
) -> list[Connection]:
    """``clients`` keep-alive connections, at most ceil(clients / workers) per worker process.

    Each new connection answers one request naming its worker; one that lands on a
    worker already holding its share is closed and opened again (the kernel hands a
    new connection to whichever worker accepts first, so a few tries suffice).
    """
    share = math.ceil(clients / workers)
    held: Counter[bytes | None] = Counter()
    connections: list[Connection] = []
    for _ in range(clients * 50):
        if len(connections) == clients:
            break
        reader, writer = await asyncio.open_connection(host, port)
        answer = await _one(reader, writer, raw)
        if answer.worker is not None and held[answer.worker] >= share:
            writer.close()
            continue
        held[answer.worker] += 1
        connections.append((reader, writer))
    if len(connections) < clients:
        raise RuntimeError(f"could not spread {clients} connections over {workers} workers: {held}")
    return connections


def _is_error(status: int, body: bytes) -> bool:
    # A GraphQL answer with a top-level "errors" key failed, whatever the status.
    return status != 200 or b'"errors":' in body[:20] or b',"errors":' in body


async def drive(
    host: str,
    port: int,
    request: Request,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    workers: int = 1,
) -> Tally:
    """Run ``clients`` closed-loop connections for warmup + seconds; tally the measured part."""
    raw = request.encode(f"{host}:{port}")
    tally = Tally()
    opened = await open_spread(host, port, raw, clients=clients, workers=workers)
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + seconds

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                begun = time.perf_counter()
                if begun >= stop_at:
                    return
                try:
                    answer = await _one(reader, writer, raw)
                except (OSError, asyncio.IncompleteReadError, ResponseError) as error:
                    tally.errors += 1
                    tally.last_error = repr(error)
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                done = time.perf_counter()
                if begun < measure_from or done > stop_at:
                    continue
                tally.latencies.append(done - begun)
                if _is_error(answer.status, answer.body):
                    tally.errors += 1
                    tally.last_error = answer.body[:300].decode(errors="replace")
                if answer.statements is not None:
                    tally.statements += answer.statements
                    tally.counted += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(reader, writer) for reader, writer in opened))
    return tally


async def fetch(host: str, port: int, request: Request) -> tuple[int, bytes]:
    """One request on its own connection: a smoke test of a scenario before it is driven."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        answer = await _one(reader, writer, request.encode(f"{host}:{port}"))
    finally:
        writer.close()
    return answer.status, answer.body
