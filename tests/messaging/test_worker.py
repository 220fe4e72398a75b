"""The outbox worker: delivers due messages, retries with backoff, and is safe to run twice."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel, NotificationStatus
from db.models import Notification
from db.session import Database
from resolvers.messaging.delivery import MAX_ATTEMPTS, deliver_due, retry_delay
from resolvers.messaging.senders import (
    DeliveryError,
    LogSender,
    Message,
    WebhookSender,
    sender_from_settings,
)
from resolvers.platform.clock import FixedClock
from resolvers.platform.outbox import enqueue
from settings import NotificationSender, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


async def queue(session: AsyncSession, clock: FixedClock, *recipients: str) -> list[int]:
    messages = [
        enqueue(
            session,
            channel=NotificationChannel.SMS,
            recipient=recipient,
            body=f"123456 is your MediMyth code for {recipient}.",
            now=clock.now(),
        )
        for recipient in recipients
    ]
    await session.commit()
    return [message.id for message in messages]


async def statuses(database: Database) -> list[tuple[NotificationStatus, int]]:
    async with database.session() as session:
        rows = await session.execute(
            select(Notification.status, Notification.attempts).order_by(Notification.id)
        )
        return [(status, attempts) for status, attempts in rows]


class Recorder:
    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[Message] = []
        self.fail = fail

    async def send(self, message: Message) -> None:
        if self.fail:
            raise DeliveryError("gateway down")
        self.sent.append(message)


async def test_the_log_sender_writes_the_recipient_and_the_text(
    session: AsyncSession, database: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    await queue(session, clock, "+919830012345")
    # when
    with caplog.at_level(logging.INFO, logger="medimyth.notifications"):
        async with database.session() as worker:
            report = await deliver_due(session=worker, sender=LogSender(), now=clock.now())
    # then
    assert report.sent == 1
    assert "+919830012345" in caplog.text
    assert "123456 is your MediMyth code" in caplog.text
    assert await statuses(database) == [(NotificationStatus.SENT, 1)]


async def test_the_webhook_sender_posts_json(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given
    [message_id] = await queue(session, clock, "+919830012345")
    received: list[dict[str, object]] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return httpx.Response(202)

    sender = WebhookSender(
        "https://sms.example.org/send",
        client=httpx.AsyncClient(transport=httpx.MockTransport(gateway)),
    )
    # when
    async with database.session() as worker:
        await deliver_due(session=worker, sender=sender, now=clock.now())
    await sender.close()
    # then
    assert received == [
        {
            "id": message_id,
            "channel": "SMS",
            "recipient": "+919830012345",
            "subject": None,
            "body": "123456 is your MediMyth code for +919830012345.",
        }
    ]
    assert await statuses(database) == [(NotificationStatus.SENT, 1)]


async def test_a_gateway_error_is_retried_later_with_growing_delays(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given
    await queue(session, clock, "+919830012345")
    sender = WebhookSender(
        "https://sms.example.org/send",
        client=httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(503))),
    )
    # when
    async with database.session() as worker:
        report = await deliver_due(session=worker, sender=sender, now=clock.now())
        again = await deliver_due(session=worker, sender=sender, now=clock.now())
    await sender.close()
    # then
    assert (report.retried, again.claimed) == (1, 0)  # not due again yet
    async with database.session() as check:
        message = await check.scalar(select(Notification))
    assert message is not None
    assert message.status is NotificationStatus.PENDING
    assert message.next_attempt_at == clock.now() + retry_delay(1)
    assert message.last_error == "webhook answered HTTP 503"
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


async def test_after_the_last_attempt_a_message_is_failed(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given
    await queue(session, clock, "+919830012345")
    sender = Recorder(fail=True)
    # when
    for _ in range(MAX_ATTEMPTS):
        async with database.session() as worker:
            await deliver_due(session=worker, sender=sender, now=clock.now())
        clock.advance(retry_delay(MAX_ATTEMPTS))
    # then
    assert await statuses(database) == [(NotificationStatus.FAILED, MAX_ATTEMPTS)]


async def test_two_workers_never_send_the_same_message(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given
    await queue(session, clock, *(f"+9198300000{n:02d}" for n in range(4)))
    release = asyncio.Event()
    first_claimed = asyncio.Event()
    slow_sent: list[Message] = []

    class Slow:
        async def send(self, message: Message) -> None:
            first_claimed.set()
            await release.wait()
            slow_sent.append(message)

    fast = Recorder()

    async def slow_worker() -> None:
        async with database.session() as worker:
            await deliver_due(session=worker, sender=Slow(), now=clock.now(), batch_size=2)

    # when: the slow worker holds the message it is sending while the fast one runs
    task = asyncio.create_task(slow_worker())
    await first_claimed.wait()
    async with database.session() as worker:
        await deliver_due(session=worker, sender=fast, now=clock.now())
    release.set()
    await task
    # then: a worker holds only the message in its hands, so the other takes all the rest
    slow_ids = {message.id for message in slow_sent}
    fast_ids = {message.id for message in fast.sent}
    assert slow_ids == {1}
    assert fast_ids == {2, 3, 4}
    assert await statuses(database) == [(NotificationStatus.SENT, 1)] * 4


async def test_messages_not_yet_due_wait(
    session: AsyncSession, database: Database, clock: FixedClock
) -> None:
    # given
    await queue(session, clock, "+919830012345")
    sender = Recorder()
    # when
    async with database.session() as worker:
        report = await deliver_due(session=worker, sender=sender, now=clock.now() - retry_delay(1))
    # then
    assert report.claimed == 0
    assert sender.sent == []


def test_the_sender_comes_from_settings() -> None:
    # when
    default = Settings.from_env({})
    webhook = Settings.from_env(
        {"NOTIFICATION_SENDER": "webhook", "NOTIFICATION_WEBHOOK_URL": "https://sms.example.org"}
    )
    # then
    assert default.notification_sender is NotificationSender.LOG
    assert isinstance(sender_from_settings(default), LogSender)
    assert isinstance(sender_from_settings(webhook), WebhookSender)
    with pytest.raises(SettingsError, match="NOTIFICATION_WEBHOOK_URL"):
        Settings.from_env({"NOTIFICATION_SENDER": "webhook"})
    with pytest.raises(SettingsError, match="NOTIFICATION_SENDER"):
        Settings.from_env({"NOTIFICATION_SENDER": "carrier-pigeon"})


@pytest.mark.slow
async def test_manage_py_worker_once_delivers_to_the_log(
    session: AsyncSession, database: Database, settings: Settings, clock: FixedClock
) -> None:
    # given: the worker runs on the real clock, so the message must be due by then
    await queue(session, FixedClock(clock.now().replace(year=2000)), "+919830012345")
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=str(settings.database_url), LOG_LEVEL="INFO")
    # when
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "manage.py", "worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then
    assert done.returncode == 0, done.stderr
    assert "+919830012345" in done.stderr
    assert "123456 is your MediMyth code" in done.stderr
    assert await statuses(database) == [(NotificationStatus.SENT, 1)]
