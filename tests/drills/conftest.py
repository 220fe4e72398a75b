"""Drill fixtures: a private, migrated, seeded PostgreSQL per drill; no shared test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from db import embedded
from tests import database as testdb
from tests.drills.support import ROOT, Server, start_gunicorn


@pytest.fixture(autouse=True)
def clean_database() -> None:
    """The suite's per-test truncation is not needed: no drill uses the shared database."""


def _seed(url: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DB_POOL_MODE"}
    env["DATABASE_URL"] = url
    subprocess.run(
        [sys.executable, "manage.py", "seed"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def cluster() -> Iterator[tuple[str, embedded.EmbeddedServer]]:
    """A PostgreSQL of the drill's own with the demo data: stopping it disturbs nobody else."""
    url, server, remove = testdb.private_server("medimyth-drill-", database="drill")
    try:
        testdb.alembic(url, "upgrade", "head")
        _seed(url)
        yield url, server
    finally:
        # A drill may leave it stopped; cleanup() expects a running server.
        embedded.restart(server)
        remove()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """start_gunicorn(...) whose servers are stopped after the drill, whatever happened."""
    started: list[Server] = []

    def start(name: str, database_url: str, **options: Any) -> Server:
        server = start_gunicorn(name, database_url, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
