"""The server outlives its database: /readyz follows PostgreSQL down and back up, no restart needed."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import create_app
from db import embedded
from db.session import Database
from settings import Settings
from tests import database as testdb


@pytest.fixture
async def private_cluster() -> AsyncIterator[tuple[str, embedded.EmbeddedServer]]:
    """A PostgreSQL of this test's own, so stopping it disturbs nobody else."""
    data_dir = Path(tempfile.mkdtemp(prefix="medimyth-drill-")) / "postgres"
    url, server = embedded.start_server(data_dir, database="drill", cleanup="delete")
    testdb.alembic(url, "upgrade", "head")
    yield url, server
    embedded.restart(server)
    server.cleanup()


@pytest.mark.slow
async def test_readyz_follows_the_database_down_and_up_without_a_restart(
    private_cluster: tuple[str, embedded.EmbeddedServer],
) -> None:
    # given
    url, server = private_cluster
    settings = Settings(database_url=url)
    database = Database(settings)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    query: dict[str, Any] = {"query": "{ categories { id } }"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        before = (await client.get("/readyz")).status_code
        assert (await client.post("/graphql", json=query)).json() == {"data": {"categories": []}}
        # when: PostgreSQL goes away
        embedded.stop(server)
        during = (await client.get("/readyz")).status_code
        failed = (await client.post("/graphql", json=query)).json()
        alive = (await client.get("/healthz")).status_code
        # and comes back
        embedded.restart(server)
        after = (await client.get("/readyz")).status_code
        recovered = (await client.post("/graphql", json=query)).json()
    await database.dispose()
    # then
    assert (before, during, alive, after) == (200, 503, 200, 200)
    assert failed["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert recovered == {"data": {"categories": []}}
