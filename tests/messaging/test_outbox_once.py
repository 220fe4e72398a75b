"""Messages queued at most once per reason, and messages held back until they are due."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from db.enums import NotificationChannel
from db.models import Notification
from db.session import Database
from resolvers.messaging.delivery import deliver_due
from resolvers.platform.clock import FixedClock
from resolvers.platform.outbox import enqueue_once
from tests.messaging.test_worker import Recorder

KEY = "reminder:MMA-7"


async def queue_once(database: Database, clock: FixedClock, **extra: object) -> bool:
    async with database.session() as session:
        queued = await enqueue_once(
            session,
            dedup_key=KEY,
            channel=NotificationChannel.SMS,
            recipient="+919830012345",
            body="See you tomorrow.",
            now=clock.now(),
            **extra,  # type: ignore[arg-type]
        )
        await session.commit()
        return queued


async def test_a_second_message_with_the_same_key_is_not_queued(
    database: Database, clock: FixedClock
) -> None:
    # given
    assert await queue_once(database, clock)
    # when
    again = await queue_once(database, clock)
    # then
    assert not again
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == 1


async def test_concurrent_transactions_queue_one_message_per_key(
    database: Database, clock: FixedClock
) -> None:
    # when
    outcomes = await asyncio.gather(*(queue_once(database, clock) for _ in range(20)))
    # then
    assert sorted(outcomes) == [False] * 19 + [True]
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Notification)) == 1


async def test_a_message_due_later_is_not_sent_before_its_time(
    database: Database, clock: FixedClock
) -> None:
    # given
    assert await queue_once(database, clock, due_at=clock.now() + timedelta(hours=3))
    recorder = Recorder()
    # when
    async with database.session() as session:
        early = await deliver_due(session=session, sender=recorder, now=clock.now())
    async with database.session() as session:
        due = await deliver_due(
            session=session, sender=recorder, now=clock.now() + timedelta(hours=3)
        )
    # then
    assert (early.sent, due.sent) == (0, 1)
