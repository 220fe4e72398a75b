"""Real `manage.py worker` processes: one killed mid-delivery loses nothing, two more double nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import WebhookDeliveryStatus
from db.models import WebhookAttempt, WebhookDelivery
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.factories import make_admin
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import SEND_TEST, register

ROOT = Path(__file__).resolve().parents[2]
DELIVERIES = 3


def _worker(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=str(settings.database_url), LOG_LEVEL="INFO")
    with log.open("ab") as stderr:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@pytest.mark.slow
async def test_a_killed_worker_loses_nothing_and_the_next_two_double_nothing(
    gql: GraphQLClient,
    session: AsyncSession,
    receiver: Receiver,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    # given deliveries due now on the workers' real clock, and a receiver that holds requests
    admin = await make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)
    created = await register(gql, token, receiver.url, receiver=receiver)
    for _ in range(DELIVERIES):
        await gql(SEND_TEST, {"id": created["endpoint"]["id"]}, token=token)
    await session.execute(
        update(WebhookDelivery).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))
    )
    await session.commit()
    receiver.hold = True
    log = tmp_path / "workers.log"
    # when a worker is killed (SIGKILL) while its first request is in flight
    killed = _worker(settings, log)
    try:
        await asyncio.wait_for(receiver.arrived.wait(), timeout=90)
    finally:
        killed.send_signal(signal.SIGKILL)
        await asyncio.to_thread(killed.wait, 30)
    held = receiver.received[0].message_id
    receiver.hold = False
    # and then two workers run at once until nothing is due
    pair = [_worker(settings, log, "--once") for _ in range(2)]
    codes = [await asyncio.to_thread(worker.wait, 120) for worker in pair]
    # then both finished and every delivery arrived, verified, exactly once after the crash
    assert codes == [0, 0], log.read_text()
    assert all(item.verified for item in receiver.received)
    assert len(receiver.unique_ids()) == DELIVERIES
    after_crash = [item.message_id for item in receiver.received[1:]]
    assert sorted(after_crash) == sorted(receiver.unique_ids())
    assert held in after_crash  # sent again with the same webhook-id: the receiver dedups
    # and the database shows each delivered once, the killed worker's attempt never committed
    rows = (await session.execute(select(WebhookDelivery.status, WebhookDelivery.attempts))).all()
    assert sorted(rows) == [(WebhookDeliveryStatus.DELIVERED, 1)] * DELIVERIES
    assert len((await session.scalars(select(WebhookAttempt.id))).all()) == DELIVERIES
