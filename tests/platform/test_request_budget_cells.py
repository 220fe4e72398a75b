"""The budget cell (GCRA) in PostgreSQL: what one statement charges, refuses and forgets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import RequestBudget
from db.session import Database
from resolvers.platform.budgets import Budget, Charged, OverBudget, charge, prune
from tests.conftest import DEFAULT_NOW

THREE_A_MINUTE = Budget(3)  # one every 20 seconds


@pytest.fixture
async def connection(database: Database) -> AsyncIterator[AsyncConnection]:
    engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        yield connection


def test_a_step_never_lets_fewer_than_the_budget_through_at_once() -> None:
    # given a budget that does not divide the minute evenly
    seven = Budget(7)
    # then seven steps fit in the minute (rounded up, only six would)
    assert seven.step * 7 <= seven.period < seven.step * 8


async def test_a_whole_budget_is_spent_at_once_then_refused_until_one_step_refills(
    connection: AsyncConnection,
) -> None:
    # when a fresh key is charged four times at one instant
    verdicts = [
        await charge(connection=connection, key="address:a", budget=THREE_A_MINUTE, now=DEFAULT_NOW)
        for _ in range(4)
    ]
    # then three fit, and the fourth may come back when the first step has refilled
    assert verdicts == [Charged(), Charged(), Charged(), OverBudget(timedelta(seconds=20))]


async def test_a_refused_request_costs_nothing(connection: AsyncConnection) -> None:
    # given a spent key, refused many times over
    for _ in range(10):
        await charge(connection=connection, key="address:a", budget=THREE_A_MINUTE, now=DEFAULT_NOW)
    # when it returns after one step
    later = DEFAULT_NOW + timedelta(seconds=20)
    verdict = await charge(connection=connection, key="address:a", budget=THREE_A_MINUTE, now=later)
    # then the refusals were not charged: one request fits
    assert verdict == Charged()


async def test_keys_have_budgets_of_their_own(connection: AsyncConnection) -> None:
    # given a spent key
    for _ in range(3):
        await charge(connection=connection, key="address:a", budget=THREE_A_MINUTE, now=DEFAULT_NOW)
    # when another key is charged
    verdict = await charge(
        connection=connection, key="account:1", budget=THREE_A_MINUTE, now=DEFAULT_NOW
    )
    # then
    assert verdict == Charged()


async def test_pruning_forgets_only_budgets_that_are_whole_again(
    connection: AsyncConnection,
) -> None:
    # given a key charged once a minute ago and one charged just now
    minute_ago = DEFAULT_NOW - timedelta(minutes=1)
    await charge(connection=connection, key="address:old", budget=THREE_A_MINUTE, now=minute_ago)
    await charge(connection=connection, key="address:new", budget=THREE_A_MINUTE, now=DEFAULT_NOW)
    # when whole budgets are pruned
    forgotten = await prune(connection=connection, now=DEFAULT_NOW)
    # then only the old one's row is gone
    kept = (await connection.execute(select(RequestBudget.key))).scalars().all()
    assert forgotten == 1
    assert kept == ["address:new"]
