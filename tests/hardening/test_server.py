"""The server's own bounds, against a real gunicorn: header size, header count, slow clients.

Raw sockets, because an HTTP client would not misbehave the way these tests need:
an 8 MB header, headers or a body dribbled a few bytes at a time, a client gone
mid-body. The server runs with short timeouts so the tests wait seconds, not tens.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import orjson
import pytest

from tests.drills.support import Server, start_gunicorn, wait_for

pytestmark = pytest.mark.slow

HEADER_TIMEOUT = 2
BODY_TIMEOUT = 2
MAX_HEADER_BYTES = 32 * 1024
MAX_HEADER_COUNT = 100
# Cut off within the timeout and this much more: a loaded 2-core machine, never a hang.
SLACK = 3.0

TYPENAME = b'{"query": "{ __typename }"}'
HEAD = b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


@pytest.fixture(scope="module")
async def live(database_url: str) -> AsyncIterator[Server]:
    """One gunicorn worker with short header and body timeouts, over the test database."""
    server = start_gunicorn(
        "limits",
        database_url,
        workers=1,
        log_prefix="hardening-",
        env={
            "HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
            "BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        },
    )
    try:
        await wait_for(server, "/healthz", 200)
        yield server
    finally:
        server.stop()


class Connection:
    """A raw TCP connection to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, server: Server) -> Connection:
        host, port = server.origin.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self, *, within: float) -> tuple[int, bytes]:
        """Status and body of the next response."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), within)
        status = int(head.split(b" ", 2)[1])
        length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])  # type: ignore[index]
        body = await asyncio.wait_for(self.reader.readexactly(length), within)
        return status, body

    async def closed(self, *, within: float) -> bool:
        """True when the server closes the connection (end of stream or reset) in time."""
        try:
            return await asyncio.wait_for(self.reader.read(), within) is not None
        except ConnectionError:
            return True

    def close(self) -> None:
        self.writer.close()


def message(body: bytes) -> str:
    text: str = orjson.loads(body)["errors"][0]["message"]
    return text


def worker_rss_mb(server: Server) -> float:
    [worker] = server.workers()
    status = Path(f"/proc/{worker}/status").read_text()
    kilobytes = int(re.search(r"VmRSS:\s+(\d+) kB", status)[1])  # type: ignore[index]
    return kilobytes / 1024


async def wait_for_log(server: Server, found: Callable[[str], bool], *, within: float) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        log = server.log()
        if found(log):
            return log
        await asyncio.sleep(0.1)
    raise AssertionError(f"the log never showed it:\n{server.log()[-3000:]}")


async def test_headers_over_the_limit_are_refused_with_a_431_that_names_it(live: Server) -> None:
    # given a request whose one header makes the header block 40 KiB
    connection = await Connection.open(live)
    oversized = HEAD + b"X-Padding: " + b"a" * (40 * 1024) + b"\r\n\r\n"
    # when it is sent whole
    await connection.send(oversized)
    status, body = await connection.response(within=10)
    # then it is refused before the app runs, and the connection closes
    assert status == 431
    assert message(body) == f"The request line and headers exceed {MAX_HEADER_BYTES} bytes."
    assert await connection.closed(within=10)
    connection.close()


async def test_more_header_fields_than_allowed_are_refused_with_a_431(live: Server) -> None:
    # given a request with one header field more than allowed, each of them small
    connection = await Connection.open(live)
    fields = b"".join(b"X-Field-%d: x\r\n" % n for n in range(MAX_HEADER_COUNT))
    # when it is sent (Host and Content-Type are two more)
    await connection.send(HEAD + fields + b"\r\n")
    status, body = await connection.response(within=10)
    # then
    assert status == 431
    assert message(body) == f"The request has more than {MAX_HEADER_COUNT} header fields."
    connection.close()


async def test_forty_8_mb_headers_at_once_leave_the_worker_memory_where_it_was(
    live: Server,
) -> None:
    # given a worker that has served requests (its baseline)
    for _ in range(5):
        connection = await Connection.open(live)
        await connection.send(HEAD + b"Content-Length: %d\r\n\r\n" % len(TYPENAME) + TYPENAME)
        assert (await connection.response(within=10))[0] == 200
        connection.close()
    baseline = worker_rss_mb(live)
    sent: list[int] = []

    async def attack() -> None:
        connection = await Connection.open(live)
        chunk = b"a" * 65536
        total = 0
        try:
            await connection.send(HEAD + b"X-Big: ")
            while total < 8 * 1024 * 1024:
                await connection.send(chunk)
                total += len(chunk)
        except ConnectionError:
            pass  # the server stopped reading, as it should
        finally:
            sent.append(total)
            connection.close()

    # when 40 clients each send an 8 MB header at the same time
    await asyncio.wait_for(asyncio.gather(*(attack() for _ in range(40))), 60)
    await asyncio.sleep(1)
    # then each was cut off long before its end, and the worker holds what it held before
    assert len(sent) == 40
    assert all(total < 8 * 1024 * 1024 for total in sent), sent
    assert worker_rss_mb(live) < baseline + 16, (baseline, worker_rss_mb(live))
    assert live.log().count("The request line and headers exceed") >= 40


async def test_headers_dribbled_past_the_timeout_get_a_408_and_are_cut_off(live: Server) -> None:
    # given five clients that send a header line every 0.3 s, without end
    async def slowloris() -> tuple[float, int]:
        connection = await Connection.open(live)
        started = time.monotonic()
        await connection.send(HEAD)

        async def dribble() -> None:
            for n in range(100):
                await asyncio.sleep(0.3)
                await connection.send(b"X-Slow-%d: x\r\n" % n)

        dribbling = asyncio.create_task(dribble())
        try:
            # when the header timeout passes
            status, _ = await connection.response(within=HEADER_TIMEOUT + SLACK)
            return time.monotonic() - started, status
        finally:
            dribbling.cancel()
            await asyncio.gather(dribbling, return_exceptions=True)
            connection.close()

    results = await asyncio.gather(*(slowloris() for _ in range(5)))
    # then each is answered 408 at the timeout (not before), and the server still serves
    for elapsed, status in results:
        assert status == 408
        assert HEADER_TIMEOUT - 0.2 <= elapsed <= HEADER_TIMEOUT + SLACK
    assert "The request headers were not received within 2 seconds." in live.log()
    await wait_for(live, "/healthz", 200, within=5)


async def test_a_connection_that_sends_nothing_is_closed_at_the_header_timeout(
    live: Server,
) -> None:
    # given a client that connects and stays silent
    connection = await Connection.open(live)
    started = time.monotonic()
    # when it waits
    data = await asyncio.wait_for(connection.reader.read(), HEADER_TIMEOUT + SLACK)
    # then the server closes it without an answer
    assert data == b""
    assert time.monotonic() - started >= HEADER_TIMEOUT - 0.2
    connection.close()


async def test_a_slow_but_timely_client_is_served_and_kept_alive(live: Server) -> None:
    # given a client that takes most of the header timeout over its headers
    connection = await Connection.open(live)
    request = HEAD + b"Content-Length: %d\r\n\r\n" % len(TYPENAME) + TYPENAME
    # when it sends a request in pieces over about 1.5 s, waits, then sends another
    for piece in (request[:20], request[20:60], request[60:]):
        await connection.send(piece)
        await asyncio.sleep(0.5)
    first = await connection.response(within=10)
    await asyncio.sleep(HEADER_TIMEOUT - 0.5)  # idle, within the keep-alive time
    await connection.send(request[:30])
    await asyncio.sleep(HEADER_TIMEOUT - 0.5)
    await connection.send(request[30:])
    second = await connection.response(within=10)
    # then both are answered on the one connection: the clock runs per request
    assert first[0] == second[0] == 200
    assert orjson.loads(second[1]) == {"data": {"__typename": "Query"}}
    connection.close()


async def test_a_body_dribbled_past_the_timeout_gets_a_408_and_is_cut_off(live: Server) -> None:
    # given a client that announces 1,000 bytes and sends ten every 0.3 s
    connection = await Connection.open(live)
    started = time.monotonic()
    await connection.send(HEAD + b"Content-Length: 1000\r\n\r\n")

    async def dribble() -> None:
        for _ in range(100):
            await connection.send(b" " * 10)
            await asyncio.sleep(0.3)

    dribbling = asyncio.create_task(dribble())
    try:
        # when the body timeout passes
        status, body = await connection.response(within=BODY_TIMEOUT + SLACK)
        elapsed = time.monotonic() - started
        closed = await connection.closed(within=SLACK)
    finally:
        dribbling.cancel()
        await asyncio.gather(dribbling, return_exceptions=True)
        connection.close()
    # then it is answered 408 at the timeout, and the connection closed
    assert status == 408
    assert message(body) == "The request body was not received within 2 seconds."
    assert BODY_TIMEOUT - 0.2 <= elapsed <= BODY_TIMEOUT + SLACK
    assert closed


async def test_a_client_gone_mid_body_is_logged_as_a_disconnect_not_a_500(live: Server) -> None:
    # given a request whose client sends 10 of 1,000 body bytes
    connection = await Connection.open(live)
    await connection.send(HEAD + b"Content-Length: 1000\r\nX-Request-ID: gone-mid-body-1\r\n\r\n")
    await connection.send(b" " * 10)
    await asyncio.sleep(0.3)
    # when it goes away
    connection.close()
    # then its request line says 499 (nothing was answered) and nothing else is logged
    log = await wait_for_log(live, lambda log: "request_id=gone-mid-body-1" in log, within=10)
    [line] = [line for line in log.splitlines() if "gone-mid-body-1" in line]
    assert "POST /graphql 499 in" in line
    assert " INFO " in line
    assert "Traceback" not in log
    assert "unhandled error" not in log
    assert "Exception in ASGI application" not in log


async def test_a_body_that_arrives_with_its_headers_is_not_counted_as_headers(
    live: Server,
) -> None:
    # given a valid request whose 60 KiB body comes in the same write as its headers
    padded = orjson.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 60 * 1024}})
    connection = await Connection.open(live)
    # when it is sent at once
    await connection.send(HEAD + b"Content-Length: %d\r\n\r\n" % len(padded) + padded)
    status, body = await connection.response(within=10)
    # then it is served: only the request line and headers count towards their limit
    assert status == 200
    assert orjson.loads(body) == {"data": {"__typename": "Query"}}
    connection.close()


async def test_oversized_headers_pipelined_behind_a_body_are_refused_too(live: Server) -> None:
    # given a request's headers, read by the server while its body has not come yet
    body = b'{"query": "{ __typename }", "variables": {"pad": "%s"}}' % (b"x" * 1024)
    connection = await Connection.open(live)
    await connection.send(HEAD + b"Content-Length: %d\r\n\r\n" % len(body))
    await asyncio.sleep(0.3)  # the next write is read on its own (ordering, not timing)
    # when its body comes in one write with a second request of 40 KiB of headers
    oversized = HEAD + b"X-Request-ID: pipelined-oversized\r\nX-Padding: " + b"a" * (40 * 1024)
    await connection.send(body + oversized + b"\r\n\r\n")
    first_answer = await connection.response(within=10)
    # then the first is answered, and the connection closes without serving the second
    # (a refusal behind an answer in flight closes after it, as the server does for any)
    assert first_answer[0] == 200
    assert await asyncio.wait_for(connection.reader.read(), 10) == b""
    connection.close()


async def test_pipelined_requests_are_answered_in_order(live: Server) -> None:
    # given two requests sent back to back in one write, the second naming itself
    request = HEAD + b"Content-Length: %d\r\n\r\n" % len(TYPENAME) + TYPENAME
    second = request.replace(b"Host:", b"X-Request-ID: pipelined-second\r\nHost:")
    connection = await Connection.open(live)
    # when
    await connection.send(request + second)
    first_answer = await connection.response(within=10)
    second_answer = await connection.response(within=10)
    # then both are answered, on the one connection
    assert first_answer[0] == second_answer[0] == 200
    await wait_for_log(live, lambda log: "request_id=pipelined-second" in log, within=10)
    connection.close()


async def test_the_server_opens_no_control_socket_a_second_instance_would_take(
    live: Server,
) -> None:
    # then gunicorn's control socket (one path per user by default) stays off
    assert "Using worker: app.server.UvicornWorker" in live.log()
    assert "Control socket" not in live.log()
