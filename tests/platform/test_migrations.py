"""Migrations: a full round trip on an empty database, no drift, and safe concurrent upgrades."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests import database as testdb


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    url = await testdb.create_database(database_url, prefix="medimyth_migrations")
    yield url
    await testdb.drop_database(url)


async def table_names(url: str) -> set[str]:
    dsn, kwargs = testdb.asyncpg_dsn(url)
    connection = await asyncpg.connect(dsn, **kwargs)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


@pytest.mark.slow
async def test_upgrade_downgrade_upgrade_round_trip_on_an_empty_database(
    empty_database: str,
) -> None:
    # when
    testdb.alembic(empty_database, "upgrade", "head")
    upgraded = await table_names(empty_database)
    testdb.alembic(empty_database, "downgrade", "base")
    downgraded = await table_names(empty_database)
    testdb.alembic(empty_database, "upgrade", "head")
    # then
    assert {"accounts", "appointments", "schedules", "session_seats", "notifications"} <= upgraded
    assert downgraded == {"alembic_version"}
    assert await table_names(empty_database) == upgraded


@pytest.mark.slow
async def test_models_and_migrations_do_not_drift(empty_database: str) -> None:
    # given
    testdb.alembic(empty_database, "upgrade", "head")
    # when
    result = testdb.alembic(empty_database, "check", check=False)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout + result.stderr


@pytest.mark.slow
async def test_two_concurrent_upgrades_both_succeed(empty_database: str) -> None:
    # given
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env["DATABASE_URL"] = empty_database
    command = [sys.executable, "-m", "alembic", "upgrade", "head"]
    # when
    runs = [
        # Blocking is fine here: the two processes race each other, not this loop.
        subprocess.Popen(command, cwd=testdb.ROOT, env=env, stderr=subprocess.PIPE, text=True)  # noqa: ASYNC220
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[1] for run in runs]
    # then
    assert [run.returncode for run in runs] == [0, 0], outputs
    current = testdb.alembic(empty_database, "current")
    assert "(head)" in current.stdout
