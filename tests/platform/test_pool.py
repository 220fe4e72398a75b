"""The default pool keeps a worker's connections open under concurrent requests."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import event, text

from db.session import Database
from settings import Settings

# 16 clients over 2 workers: 8 requests in flight per worker, as `make bench` drives.
IN_FLIGHT = 8


async def _requests(database: Database, count: int) -> None:
    async def one() -> None:
        request = database.request_session()
        try:
            async with request.use() as session:
                await session.execute(text("SELECT pg_sleep(0.02)"))
        finally:
            await request.close()

    await asyncio.gather(*(one() for _ in range(count)))


async def test_concurrent_requests_reuse_connections_instead_of_reopening_them(
    settings: Settings,
) -> None:
    # given: the default pool size and overflow (the tests' own settings raise them)
    defaults = Settings.from_env({"DATABASE_URL": "postgresql://placeholder/db"})
    configured = dataclasses.replace(
        settings, db_pool_size=defaults.db_pool_size, db_max_overflow=defaults.db_max_overflow
    )
    database = Database(configured)
    opened: list[object] = []
    event.listen(database.engine.sync_engine, "connect", lambda *_: opened.append(1))
    try:
        # when: two rounds of a worker's concurrent requests
        await _requests(database, IN_FLIGHT)
        after_first = len(opened)
        await _requests(database, IN_FLIGHT)

        # then: the second round opened nothing; an overflow connection would have been
        # closed on return and opened again (TLS attempt, login, statements prepared)
        assert after_first == IN_FLIGHT
        assert len(opened) == after_first
    finally:
        await database.dispose()
