"""Shared fixtures: one migrated database per run, a clean slate per test, an HTTP client per test.

Isolation: the schema is migrated once per run; after every test each table is
emptied with one TRUNCATE ... RESTART IDENTITY, so ids start at 1 again and no
test sees another's rows. Truncation (not a rolled-back outer transaction)
keeps the app's real commit and concurrency behaviour under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette

from app import create_app
from db.models import Base
from db.session import Database
from db.stats import StatementLog, counting_statements
from resolvers.platform.clock import FixedClock
from settings import PoolMode, Settings
from tests import database as testdb

# 2026-12-01 09:00 in Kolkata: a Tuesday, a fixed "now" every test starts from.
DEFAULT_NOW = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url, stop = testdb.server_url()
    try:
        testdb.alembic(url, "upgrade", "head")
        yield url
    finally:
        stop()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    import os

    mode = PoolMode(os.environ.get("DB_POOL_MODE", "direct") or "direct")
    # The races (200 bookings at once, 357 edits of one doctor) queue for the pool's 20
    # connections and for row locks: on a busy machine a turn can take longer than
    # production's 10 s pool wait or 5 s statement time, which is not what they test.
    # Request budgets off: tests send hundreds of requests from one address under a clock
    # that stands still, and count statements of their own; the budgets have their own
    # tests (tests/hardening/test_request_budgets.py), which turn them on.
    return Settings(
        database_url=database_url,
        db_pool_mode=mode,
        db_pool_size=10,
        db_max_overflow=10,
        db_pool_timeout=60,
        db_statement_timeout_ms=30_000,
        request_budget_per_address=0,
        request_budget_per_account=0,
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


_TABLES = ", ".join(table.name for table in Base.metadata.sorted_tables)


@pytest.fixture(autouse=True)
async def clean_database(database: Database) -> AsyncIterator[None]:
    yield
    async with database.engine.begin() as connection:
        # The audit trail refuses TRUNCATE by a trigger; the harness, a superuser, turns
        # ordinary triggers off for this one transaction (a superuser's power, which the
        # app's role should not have; tests/audit/test_append_only.py).
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
        await connection.execute(text("ALTER SEQUENCE doctor_public_number_seq RESTART"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def app(settings: Settings, clock: FixedClock, database: Database) -> Starlette:
    return create_app(settings, clock=clock, database=database)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


class GraphQLClient:
    """Posts GraphQL documents the way the frontend does and returns the decoded body."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client
        self.token: str | None = None

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent_headers = dict(headers or {})
        bearer = token or self.token
        if bearer:
            sent_headers["Authorization"] = f"Bearer {bearer}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent_headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
def count_statements() -> Callable[..., AbstractContextManager[StatementLog]]:
    """Use as ``with count_statements() as log:`` around one request; ``log.count`` after."""

    def start(*, keep_text: bool = True) -> AbstractContextManager[StatementLog]:
        return counting_statements(keep_text=keep_text)

    return start


@pytest.fixture
async def session(database: Database) -> AsyncIterator[Any]:
    """A plain AsyncSession for arranging data and calling resolvers without GraphQL."""
    async with database.session() as session:
        yield session


__all__ = ["GraphQLClient", "StatementLog"]
