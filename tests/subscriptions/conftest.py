"""The subscription tests' shared server: gunicorn with two workers, small live limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from settings import Settings
from tests.drills.support import Server, start_gunicorn, wait_for
from tests.subscriptions.support import WORKERS, live_env


@pytest.fixture(scope="module")
async def live(database_url: str, settings: Settings) -> AsyncIterator[Server]:
    """gunicorn as the Procfile runs it, in the suite's pool mode; one per module.

    Gone before the next module starts: test_server_modes counts the listening
    connections of its own servers on the same database.
    """
    server = start_gunicorn(
        "streams",
        database_url,
        workers=WORKERS,
        log_prefix="subscriptions-",
        env=live_env(settings),
    )
    try:
        await wait_for(server, "/healthz", 200)
        yield server
    finally:
        server.stop()
