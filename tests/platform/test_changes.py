"""Change notifications: heard by a listener only when the changing transaction commits."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg

from db.session import Database
from resolvers.platform.changes import CHANNEL, SessionKey, announce
from tests.database import direct_url

KEY = SessionKey(7, date(2026, 12, 7))


async def listening(database_url: str) -> tuple[asyncpg.Connection, asyncio.Queue[str]]:
    heard: asyncio.Queue[str] = asyncio.Queue()
    # Straight to PostgreSQL: LISTEN hears nothing through a transaction pooler.
    connection = await asyncpg.connect(direct_url(database_url).replace("+asyncpg", "", 1))
    await connection.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[3]))
    return connection, heard


def test_a_key_round_trips_through_its_payload() -> None:
    assert SessionKey.parse(KEY.payload) == KEY
    assert SessionKey.parse("7:not-a-date") is None
    assert SessionKey.parse("garbage") is None


async def test_a_committed_change_is_heard_once_with_only_the_key(
    database: Database, database_url: str
) -> None:
    # given
    connection, heard = await listening(database_url)
    try:
        # when
        async with database.session() as session:
            await announce(session, [KEY, KEY])
            await announce(session, KEY)
            await session.commit()
        # then
        assert await asyncio.wait_for(heard.get(), 5) == "7:2026-12-07"
        await asyncio.sleep(0.2)
        assert heard.empty()
    finally:
        await connection.close()


async def test_a_rolled_back_change_is_never_heard(database: Database, database_url: str) -> None:
    # given
    connection, heard = await listening(database_url)
    try:
        # when
        async with database.session() as session:
            await announce(session, KEY)
            await session.rollback()
        # then
        await asyncio.sleep(0.3)
        assert heard.empty()
    finally:
        await connection.close()
