"""Queries only read: they run without a transaction block, and a write from one is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text

from db.models import Category
from db.session import Database, ReadOnlyViolation, RequestSession
from settings import PoolMode, Settings
from tests.conftest import GraphQLClient

CATEGORIES = "query Probe { categories { id } }"
CREATE_CATEGORY = 'mutation { createCategory(name: "X") { __typename } }'
# A transaction-local setting outlives its statement only inside a transaction block.
SET_LOCALLY = text("SELECT set_config('application_name', 'inside', true)")
READ_BACK = text("SHOW application_name")


async def test_a_read_only_session_runs_each_statement_on_its_own(
    database: Database, settings: Settings
) -> None:
    # given
    request = database.request_session()
    request.only_reads()
    try:
        # when
        async with request.use() as session:
            await session.execute(SET_LOCALLY)
            seen = await session.scalar(READ_BACK)
    finally:
        await request.close()
    # then: no transaction block, except behind a transaction pooler
    in_block = settings.db_pool_mode is PoolMode.TRANSACTION
    assert (seen == "inside") is in_block


async def test_a_writing_session_keeps_its_transaction(database: Database) -> None:
    # given
    request = database.request_session()
    try:
        # when
        async with request.use() as session:
            await session.execute(SET_LOCALLY)
            seen = await session.scalar(READ_BACK)
    finally:
        await request.close()
    # then
    assert seen == "inside"


async def test_a_write_from_a_read_only_request_never_lands(
    database: Database, settings: Settings
) -> None:
    # given
    request = database.request_session()
    request.only_reads()
    try:
        async with request.use() as session:
            if settings.db_pool_mode is PoolMode.TRANSACTION:
                # when: behind a transaction pooler the request keeps its transaction
                # block, so a stray write is rolled back when the request ends
                await session.execute(insert(Category).values(name="Written"))
            else:
                # when / then: without a block, a Core insert and an ORM flush are refused
                with pytest.raises(ReadOnlyViolation):
                    await session.execute(insert(Category).values(name="Written"))
                session.add(Category(name="Flushed"))
                with pytest.raises(ReadOnlyViolation):
                    await session.flush()
    finally:
        await request.close()
    # then
    async with database.session() as check:
        assert await check.scalar(select(func.count()).select_from(Category)) == 0


async def test_queries_read_only_and_mutations_do_not(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a record of the requests declared read-only
    declared: list[bool] = []
    original = RequestSession.only_reads

    def recording(self: RequestSession) -> None:
        declared.append(True)
        original(self)

    monkeypatch.setattr(RequestSession, "only_reads", recording)
    # when
    await gql(CATEGORIES)
    after_query = len(declared)
    answer = await gql(CREATE_CATEGORY)
    # then
    assert after_query == 1
    assert answer["errors"][0]["path"] == ["createCategory"]  # it executed (and refused)
    assert len(declared) == 1
