"""A database outage is told apart from a bug: one warning with a count, no traceback per request."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from app import create_app
from db.outage import UNAVAILABLE_MESSAGE, OutageLog, is_database_unavailable, outage
from db.session import Database
from resolvers.platform.clock import SystemClock
from settings import Settings
from tests.drills.support import free_port
from tests.hardening.conftest import codes, messages, post

CATEGORIES = "{ categories { id } }"


def wrapped(error: Exception, *, invalidated: bool = False) -> DBAPIError:
    """The error as SQLAlchemy hands it to a resolver."""
    return DBAPIError("SELECT 1", {}, error, connection_invalidated=invalidated)


class StatementTimeout(Exception):
    sqlstate = "57014"


class UniqueViolation(Exception):
    sqlstate = "23505"


async def refused_connection() -> OSError:
    """What asyncpg raises when nothing listens on the port."""
    try:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    except OSError as error:
        return error
    raise AssertionError("something listens on a free port")


async def test_a_refused_connect_a_lost_connection_and_a_server_starting_up_are_unavailable() -> (
    None
):
    # given the failures a database outage causes
    refused = await refused_connection()
    starting = asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    lost = wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("closed"), invalidated=True)
    shutdown = wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    # when they are classified
    found = [is_database_unavailable(error) for error in (refused, starting, lost, shutdown)]
    # then each is the database being unavailable
    assert found == [True, True, True, True]


def test_bugs_and_other_database_errors_are_not_an_outage() -> None:
    # given an OSError of the app's own, a statement timeout and a constraint violation
    try:
        Path("/nonexistent/medimyth").read_text()
    except OSError as error:
        own = error
    others = [own, wrapped(StatementTimeout()), wrapped(UniqueViolation()), RuntimeError("bug")]
    # when they are classified
    found = [is_database_unavailable(error) for error in others]
    # then none is an outage: they keep their own handling
    assert found == [False, False, False, False]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_logged_when_it_starts_when_it_lasts_and_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an outage log with a minute between reminders
    caplog.set_level(logging.INFO, logger="medimyth.test-outage")
    clock = FakeClock()
    log = OutageLog(
        log=logging.getLogger("medimyth.test-outage"),
        remind_every=60,
        clock=clock,
        wall_clock=lambda: 1_796_095_800.0,  # 2026-12-01 03:30 UTC
    )
    error = ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
    # when 100 requests fail over 90 seconds, then a connection opens
    for _ in range(100):
        log.request_failed(error)
        clock.now += 0.9
    log.database_answered()
    log.database_answered()  # and another: nothing more to say
    # then three warnings: the start, one reminder, the end with the count
    lines = [record.getMessage() for record in caplog.records]
    assert [record.levelno for record in caplog.records] == [logging.WARNING] * 3
    assert lines[0].startswith("database unavailable (ConnectionRefusedError: [Errno 111]")
    assert lines[1] == "database unavailable; 68 requests failed since 2026-12-01T03:30:00+00:00"
    assert lines[2] == (
        "database available again; 100 requests failed since 2026-12-01T03:30:00+00:00 (90.0 s)"
    )
    assert caplog.records[2].failed_requests == 100  # type: ignore[attr-defined]
    assert not log.ongoing


@pytest.fixture
def no_outage() -> None:
    """The process's outage log starts (and ends) with no outage under way."""
    outage.database_answered()


@pytest.fixture
async def down(settings: Settings, no_outage: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app whose database refuses connections."""
    nowhere = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    unreachable = Database(dataclasses.replace(settings, database_url=nowhere))
    app = create_app(settings, clock=SystemClock(), database=unreachable)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield client
    await unreachable.dispose()
    outage.database_answered()


async def test_requests_during_an_outage_fail_coded_and_are_logged_once_with_a_count(
    down: httpx.AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # given a database that refuses connections
    caplog.set_level(logging.INFO)
    # when five requests need it
    bodies = [await post(down, CATEGORIES) for _ in range(5)]
    # and later a connection opens again
    back = Database(settings)
    try:
        assert await back.ping()
    finally:
        await back.dispose()
    # then each got a coded error that says to retry, with no internals
    for body in bodies:
        assert body["data"] is None
        assert codes(body) == ["INTERNAL_SERVER_ERROR"]
        assert messages(body) == [UNAVAILABLE_MESSAGE]
        assert "requestId" in body["errors"][0]["extensions"]
    # and the log holds two warnings, start and end, and no traceback
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["medimyth.database", "medimyth.database"]
    assert warnings[0].getMessage().startswith("database unavailable (ConnectionRefusedError")
    assert warnings[1].getMessage().startswith("database available again; 5 requests failed")
    assert all(record.exc_info is None for record in caplog.records)
