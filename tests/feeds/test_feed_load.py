"""Feeds under load: simultaneous fetches spend a token's budget exactly; a fetch's SQL is fixed."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date, time

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from db.models import Account
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import PoolMode, Settings
from tests import factories
from tests.conftest import GraphQLClient, StatementLog
from tests.feeds.test_doctor_feed import feed_url
from tests.scheduling_support import signed_in_doctor

FETCHES = 20
BUDGET = 5
# Find the token's account; spend its budget; the schedules; their bookings and
# vacations (one batched read); date the content. (COMMIT is not a statement here.)
FEED_STATEMENTS = 5


async def test_simultaneous_fetches_spend_a_tokens_budget_exactly(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    database: Database,
) -> None:
    # given a budget of five fetches an hour, and a feed with a session on it
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    await factories.make_schedule(session, doctor, weekday=3)
    await session.commit()
    url = await feed_url(gql, token)
    app = create_app(
        replace(settings, calendar_feed_requests_per_hour=BUDGET), clock=clock, database=database
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # when twenty calendar apps fetch it at once
        answers = await asyncio.gather(*(client.get(url) for _ in range(FETCHES)))
    # then exactly five get the feed, and all five the same one
    assert Counter(answer.status_code for answer in answers) == {200: BUDGET, 429: FETCHES - BUDGET}
    assert len({answer.content for answer in answers if answer.status_code == 200}) == 1


async def busy_doctor(session: AsyncSession, doctor: Account, chambers: int) -> None:
    for n in range(chambers):
        schedule = await factories.make_schedule(
            session, doctor, weekday=n % 7, start_time=time(8 + n), end_time=time(9 + n)
        )
        await factories.make_appointment(session, schedule, date(2026, 12, 7 + n % 7))
        await factories.make_vacation(
            session,
            doctor,
            date(2027, 1, 4 + 2 * n),
            date(2027, 1, 4 + 2 * n),
            schedules=[schedule],
        )


async def test_a_feed_costs_the_same_statements_for_one_chamber_or_six(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given a doctor with one chamber and one with six, each with bookings and vacations
    small, small_token = await signed_in_doctor(session, settings=settings, clock=clock)
    large, large_token = await signed_in_doctor(session, settings=settings, clock=clock)
    await busy_doctor(session, small, 1)
    await busy_doctor(session, large, 6)
    await session.commit()
    urls = [await feed_url(gql, small_token), await feed_url(gql, large_token)]
    # when each feed is fetched
    counts = []
    for url in urls:
        with count_statements() as log:
            response = await client.get(url)
        assert response.status_code == 200
        counts.append(log.count)
    # then both cost the same few statements: batched, never one per session or chamber
    # (behind a transaction pooler the one transaction, the per-token count, first sets
    # its limits: db/session.py)
    expected = FEED_STATEMENTS + (settings.db_pool_mode is PoolMode.TRANSACTION)
    assert counts == [expected, expected], log.statements
