"""Every transaction starts with a statement time limit; a statement past it ends cleanly, coded."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from db.session import Database, is_statement_timeout
from resolvers.catalogue import categories
from resolvers.platform.clock import FixedClock
from schema.platform.errors import TIMEOUT_MESSAGE
from settings import PoolMode, Settings

SLOW = text("SELECT pg_sleep(2)")
CATEGORIES = "{ categories { id } }"
TYPENAME = "{ __typename }"


@pytest.fixture
async def impatient(settings: Settings) -> AsyncIterator[Database]:
    """A database whose statements may run 100 ms."""
    database = Database(dataclasses.replace(settings, db_statement_timeout_ms=100))
    yield database
    await database.dispose()


async def test_every_transaction_runs_with_the_limits_and_a_pooler_never_passes_them_on(
    impatient: Database, settings: Settings
) -> None:
    # when
    async with impatient.session() as session:
        first = await session.scalar(text("SHOW statement_timeout"))
        threshold = await session.scalar(text("SHOW pg_trgm.word_similarity_threshold"))
        await session.commit()
        second = await session.scalar(text("SHOW statement_timeout"))
    async with impatient.engine.connect() as connection:
        outside = await connection.scalar(text("SHOW statement_timeout"))
    # then: every transaction has them
    assert first == second == "100ms"
    assert threshold == "0.5"
    if settings.db_pool_mode is PoolMode.TRANSACTION:
        # local to each transaction, so a transaction pooler's next client never inherits it
        assert outside == "0"
    else:
        # set once per connection, which is ours for its life: no statement per request
        assert outside == "100ms"


async def test_a_statement_past_the_limit_is_cancelled_by_postgresql(impatient: Database) -> None:
    # when
    async with impatient.session() as session:
        with pytest.raises(DBAPIError) as raised:
            await session.execute(SLOW)
    # then
    assert is_statement_timeout(raised.value)


async def test_a_slow_query_answers_a_coded_timeout_and_the_next_request_is_served(
    impatient: Database,
    settings: Settings,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: listing categories made slow, in an app whose statements may run 100 ms
    async def slow(*, session: AsyncSession) -> list[object]:
        await session.execute(SLOW)
        return []

    monkeypatch.setattr(categories, "list_categories", slow)
    app = create_app(
        dataclasses.replace(settings, db_statement_timeout_ms=100), clock=clock, database=impatient
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # when
        response = await client.post("/graphql", json={"query": CATEGORIES})
        monkeypatch.undo()
        after = await client.post("/graphql", json={"query": CATEGORIES})
    # then
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["message"] == TIMEOUT_MESSAGE
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["X-Request-ID"],
    }
    assert "pg_sleep" not in response.text
    assert after.json() == {"data": {"categories": []}}
    assert impatient.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    warned = [r for r in caplog.records if r.name == "medimyth.errors"]
    assert [r.levelno for r in warned] == [logging.WARNING]  # expected, so no traceback
    assert warned[0].exc_info is None
