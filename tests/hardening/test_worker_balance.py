"""gunicorn's two workers share keep-alive connections evenly, whoever connects and however.

Each worker's connections are counted from /proc: the established sockets on the
server's port that the worker's descriptors hold. A connection is counted once it
has been answered, so it has been accepted. Even means within one of an even split
either way: a worker that holds fewer and does not accept within the grace (on a
loaded machine it may not be scheduled) is passed over once, by design.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from app import balance
from tests.drills.support import Server, start_gunicorn, wait_for, wait_for_workers

pytestmark = pytest.mark.slow

CONNECTIONS = 16
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
# What a worker logs once it takes its turns (app/balance.py); before that it is passed over.
ACCEPTING = "Accepting in turn with the other workers"


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Server]:
    """gunicorn with two workers, as the Procfile runs it."""
    server = start_gunicorn("balance", database_url, workers=2, log_prefix="hardening-")
    try:
        await wait_for(server, "/healthz", 200)
        await wait_for_workers(server, 2, without=set())
        await accepting(server, 2)
        yield server
    finally:
        server.stop()


async def accepting(server: Server, count: int) -> None:
    """Wait until count workers have started taking their turns."""
    deadline = time.monotonic() + 30
    while server.log().count(ACCEPTING) < count:
        assert time.monotonic() < deadline, server.log()[-3000:]
        await asyncio.sleep(0.1)


class Client:
    """One keep-alive connection that has had an answer (so a worker has accepted it)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, server: Server) -> Client:
        host, port = server.origin.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        client = cls(reader, writer)
        await client.ask()
        return client

    async def ask(self) -> None:
        self.writer.write(HEALTHZ)
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200"), head
        length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])  # type: ignore[index]
        await asyncio.wait_for(self.reader.readexactly(length), 10)

    def close(self) -> None:
        self.writer.close()


def split(server: Server) -> list[int]:
    """Established connections per live worker, fewest first."""
    port = int(server.origin.rsplit(":", 1)[1])
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "01" and int(local.split(":")[1], 16) == port:
            established.add(f"socket:[{inode}]")
    counts = []
    for worker in server.workers():
        fds = Path(f"/proc/{worker}/fd")
        held = {os.readlink(fds / fd) for fd in os.listdir(fds)}
        counts.append(len(held & established))
    return sorted(counts)


def even(counts: list[int], total: int) -> bool:
    half = total // 2
    return sum(counts) == total and counts in ([half, half], [half - 1, half + 1])


async def test_connections_opened_one_after_another_alternate_between_the_workers(
    live: Server,
) -> None:
    # given a server with two idle workers
    # when 16 clients connect one after another, each answered before the next connects
    clients = [await Client.connect(live) for _ in range(CONNECTIONS)]
    try:
        # then each worker holds half of them
        counts = split(live)
        assert even(counts, CONNECTIONS), counts
    finally:
        for client in clients:
            client.close()


async def test_a_burst_of_connections_as_a_load_generator_opens_them_is_shared_evenly(
    live: Server,
) -> None:
    # given a server with two idle workers
    # when 16 clients connect at once (as wrk does) and ask, each on its own connection
    clients = await asyncio.gather(*(Client.connect(live) for _ in range(CONNECTIONS)))
    try:
        # then each worker holds half of them
        counts = split(live)
        assert even(counts, CONNECTIONS), counts
    finally:
        for client in clients:
            client.close()


async def test_a_worker_that_replaces_a_killed_one_takes_new_clients_until_it_holds_its_share(
    live: Server,
) -> None:
    # given 16 clients spread over the two workers
    clients = [await Client.connect(live) for _ in range(CONNECTIONS)]
    try:
        survivor, victim = live.workers()
        # when one worker is killed (its clients lose their connections), is replaced,
        # and as many clients as it held connect again
        os.kill(victim, signal.SIGKILL)
        await wait_for_workers(live, 2, without={victim})
        await accepting(live, 3)
        lost = CONNECTIONS - split(live)[-1]
        clients += [await Client.connect(live) for _ in range(lost)]
        # then they went to the new worker, not the survivor: the two are even again
        counts = split(live)
        assert survivor in live.workers()
        assert even(counts, CONNECTIONS), counts
    finally:
        for client in clients:
            client.close()


# What both accept paths must answer alike: the app's answers and the protocol's refusals.
SAME_ANSWERS: list[tuple[str, str, dict[str, str], bytes]] = [
    ("GET", "/healthz", {}, b""),
    ("POST", "/graphql", {"Content-Type": "application/json"}, b'{"query":"{ __typename }"}'),
    ("GET", "/graphql?query=%7B__typename%7D", {"Accept": "application/json"}, b""),
    ("POST", "/graphql", {"Content-Type": "application/json"}, b"x" * (70 * 1024)),
    ("GET", "/healthz", {"X-Big": "y" * (40 * 1024)}, b""),
]
VARYING = {"date", "x-request-id"}


async def _answers(server: Server) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    found = []
    async with httpx.AsyncClient(base_url=server.origin, timeout=10) as client:
        for method, path, headers, body in SAME_ANSWERS:
            answer = await client.request(method, path, headers=headers, content=body)
            kept = sorted((k, v) for k, v in answer.headers.items() if k not in VARYING)
            found.append((answer.status_code, kept, answer.content))
    return found


async def test_the_balanced_accept_path_answers_as_uvicorns_own(database_url: str) -> None:
    # given: the server with its workers taking turns, and the same server accepting the stock way
    answers = {}
    for turns in ("true", "false"):
        server = start_gunicorn(
            f"balance-{turns}",
            database_url,
            workers=2,
            log_prefix="hardening-",
            env={"WORKER_BALANCE": turns},
        )
        try:
            await wait_for(server, "/healthz", 200)
            # when: each is sent the same requests, refusals included
            answers[turns] = await _answers(server)
        finally:
            server.stop()
        assert (ACCEPTING in server.log()) == (turns == "true")

    # then: the same statuses, headers and bodies
    assert [status for status, _, _ in answers["true"]] == [200, 200, 200, 413, 431]
    assert answers["true"] == answers["false"]


def test_on_another_uvicorn_the_workers_accept_the_stock_way(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a Uvicorn the accept loop was not written for
    monkeypatch.setattr(uvicorn, "__version__", "0.99.0")

    # when
    found = balance.supported()

    # then: not used, and the log says why
    assert found is False
    assert "Uvicorn 0.99.0 is not" in caplog.text
    monkeypatch.undo()
    assert balance.supported() is True
