"""A body that arrives too slowly is a 408; a client gone mid-body is a disconnect, not a 500.

These drive the ASGI app with hand-made receive() calls (an HTTP client sends the
body at once); tests/hardening/test_server.py does the same over real sockets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.types import Message

from app import create_app
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings

HEADERS = [(b"host", b"testserver"), (b"content-type", b"application/json")]
BODY = b'{"query": "{ __typename }"}'


def scope(content_length: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [*HEADERS, (b"content-length", str(content_length).encode())],
        "client": ("127.0.0.1", 5555),
        "server": ("testserver", 80),
        "state": {},
    }


async def call(app: Starlette, messages: list[Message], *, then_wait: bool) -> list[Message]:
    """Run one request: receive() hands out messages, then waits forever (or disconnects)."""
    incoming = iter(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        for message in incoming:
            return message
        if then_wait:
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope(1000), receive, send), 10)
    return sent


@pytest.fixture
def slow_app(settings: Settings, clock: FixedClock, database: Database) -> Starlette:
    """The app with a one-second body timeout, over the tests' database."""
    quick = dataclasses.replace(settings, body_timeout_seconds=1)
    return create_app(quick, clock=clock, database=database)


async def test_a_body_that_stops_arriving_is_answered_408_and_closes_the_connection(
    slow_app: Starlette,
) -> None:
    # given a request that sends 10 of its 1,000 bytes, then nothing
    first_part: Message = {"type": "http.request", "body": b" " * 10, "more_body": True}
    # when the body timeout passes
    sent = await call(slow_app, [first_part], then_wait=True)
    # then a 408 names the limit, and asks the server to close the connection
    start, body = sent[0], sent[1]
    assert start["status"] == 408
    headers = dict(start["headers"])
    assert headers[b"connection"] == b"close"
    assert headers[b"content-type"] == b"application/json"
    error = orjson.loads(body["body"])["errors"][0]
    assert error == {
        "message": "The request body was not received within 1 seconds.",
        "extensions": {"code": "BAD_USER_INPUT"},
    }


async def test_a_body_in_time_is_served_and_the_wait_for_disconnect_has_no_deadline(
    slow_app: Starlette,
) -> None:
    # given a request whose body arrives in two parts, the second after half the timeout
    parts: list[Message] = [
        {"type": "http.request", "body": BODY[:10], "more_body": True},
        {"type": "http.request", "body": BODY[10:], "more_body": False},
    ]
    # when it is served
    sent = await call(slow_app, parts, then_wait=False)
    # then it is answered as usual
    assert sent[0]["status"] == 200
    assert orjson.loads(sent[1]["body"]) == {"data": {"__typename": "Query"}}


async def test_a_client_gone_mid_body_is_one_info_line_with_499_and_no_traceback(
    slow_app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    # given a request that sends 10 of its 1,000 bytes
    caplog.set_level(logging.DEBUG)
    first_part: Message = {"type": "http.request", "body": b" " * 10, "more_body": True}
    # when its client disconnects
    sent = await call(slow_app, [first_part], then_wait=False)
    # then nothing is answered, and the request line says what happened
    assert sent == []
    [line] = [record for record in caplog.records if record.name == "medimyth.request"]
    assert line.levelno == logging.INFO
    assert line.status == 499  # type: ignore[attr-defined]
    assert line.exc_info is None
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
