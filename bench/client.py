"""A lean HTTP/1.1 keep-alive load client: N connections, each posting one request in a loop.

Why not httpx or aiohttp: on a 2-core box the client shares the CPU with the
server and PostgreSQL, so every microsecond it spends is taken from what is
measured. This client sends pre-encoded request bytes and reads the answer by
Content-Length; per request it parses only the status line and headers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

STATEMENTS_HEADER = b"x-bench-statements"


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


async def _one(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes, int | None]:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    statements: int | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == STATEMENTS_HEADER:
            statements = int(value)
        elif lowered == b"transfer-encoding":
            raise ResponseError("chunked answers are not expected from this server")
    body = await reader.readexactly(length)
    return status, body, statements


def _is_error(status: int, body: bytes) -> bool:
    # A GraphQL answer with a top-level "errors" key failed, whatever the status.
    return status != 200 or b'"errors":' in body[:20] or b',"errors":' in body


async def drive(
    host: str, port: int, request: Request, *, clients: int, seconds: float, warmup: float
) -> Tally:
    """Run ``clients`` closed-loop connections for warmup + seconds; tally the measured part."""
    raw = request.encode(f"{host}:{port}")
    tally = Tally()
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                begun = time.perf_counter()
                if begun >= stop_at:
                    return
                try:
                    status, body, statements = await _one(reader, writer, raw)
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
                if _is_error(status, body):
                    tally.errors += 1
                    tally.last_error = body[:300].decode(errors="replace")
                if statements is not None:
                    tally.statements += statements
                    tally.counted += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(clients)))
    return tally


async def fetch(host: str, port: int, request: Request) -> tuple[int, bytes]:
    """One request on its own connection: a smoke test of a scenario before it is driven."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        status, body, _ = await _one(reader, writer, request.encode(f"{host}:{port}"))
    finally:
        writer.close()
    return status, body
