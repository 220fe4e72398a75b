"""Finds the PostgreSQL server for a test run and makes fresh databases on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from db.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> tuple[str, Callable[[], None]]:
    """TEST_DATABASE_URL when set, else an embedded server private to this run; and how to stop it."""
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if configured:
        url = configured.replace("postgresql://", "postgresql+asyncpg://", 1)
        if make_url(url).database in (None, "", "postgres"):
            # The server's maintenance database is nobody's to truncate: two runs pointed at
            # it would empty each other's tables. Each run gets a private database instead.
            import asyncio

            private = asyncio.run(create_database(url, prefix="medimyth_test"))
            return private, lambda: asyncio.run(drop_database(private))
        return url, lambda: None
    url, _server, remove = private_server("medimyth-test-", database="medimyth_test")
    return url, remove


def private_server(prefix: str, *, database: str) -> tuple[str, EmbeddedServer, Callable[[], None]]:
    """An embedded PostgreSQL in a fresh temporary directory, and what removes both.

    The server's cleanup deletes its data directory only; the directory made for it
    goes too, so no run leaves an empty medimyth-* directory behind in /tmp.
    """
    from db import embedded

    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        url, server = embedded.start_server(
            scratch / "postgres", database=database, cleanup="delete"
        )
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise

    def remove() -> None:
        try:
            server.cleanup()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    return url, server, remove


def asyncpg_dsn(url: str) -> tuple[str, dict[str, Any]]:
    """asyncpg.connect arguments for a SQLAlchemy URL (the socket dir travels as host=)."""
    parsed = make_url(url)
    # No named prepared statements: CI runs the suite a second time through PgBouncer in
    # transaction mode, where they break; one-off test connections gain nothing from a cache.
    kwargs: dict[str, Any] = {"statement_cache_size": 0}
    host = parsed.query.get("host")
    if isinstance(host, str):
        kwargs["host"] = host
    plain = parsed.set(drivername="postgresql", query={})
    return plain.render_as_string(hide_password=False), kwargs


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def create_database(url: str, *, prefix: str) -> str:
    """Create an empty database beside the one in url; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    dsn, kwargs = asyncpg_dsn(with_database(url, "postgres"))
    connection = await asyncpg.connect(dsn, **kwargs)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(url, name)


async def drop_database(url: str) -> None:
    name = make_url(url).database
    dsn, kwargs = asyncpg_dsn(with_database(url, "postgres"))
    connection = await asyncpg.connect(dsn, **kwargs)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def alembic(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the alembic CLI against url, as a release or a developer would."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def manage(url: str, *args: str, timeout: float = 280) -> subprocess.CompletedProcess[str]:
    """Run manage.py against url, as an operator would."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def fetch(url: str, query: str) -> list[asyncpg.Record]:
    """Rows of one query, on a connection of its own (what the app wrote, as stored)."""
    dsn, kwargs = asyncpg_dsn(url)
    connection = await asyncpg.connect(dsn, **kwargs)
    try:
        return list(await connection.fetch(query))
    finally:
        await connection.close()


def direct_url(database_url: str) -> str:
    """The suite's database straight on PostgreSQL, also in CI's PgBouncer pass.

    .ci/with-pgbouncer puts PgBouncer (PGBOUNCER_URL) in front of the PostgreSQL on
    127.0.0.1:5432; a transaction pooler cannot LISTEN, so a listener skips it.
    """
    url = make_url(database_url)
    pooler = os.environ.get("PGBOUNCER_URL")
    if pooler and make_url(pooler).port == url.port:
        return url.set(port=5432).render_as_string(hide_password=False)
    return database_url
