"""The outbox worker's step: claim due messages, send them, record success or the next try.

Rows are claimed with FOR UPDATE SKIP LOCKED inside the step's transaction, so
any number of workers can run: each takes rows no other worker holds, and a
row's lock is released only once its outcome is stored. Delivery is at least
once: a worker that dies after sending but before committing sends again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationStatus
from db.models import Notification
from db.session import Database
from resolvers.messaging.senders import DeliveryError, Message, Sender
from resolvers.platform.clock import Clock
from resolvers.webhooks.delivery import BATCH_SIZE as WEBHOOK_BATCH_SIZE
from resolvers.webhooks.delivery import Dispatcher, deliver_due_webhooks

logger = logging.getLogger("medimyth.notifications")

BATCH_SIZE = 20
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: 30 s, 1 min, 2 min, ... at most 1 h."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 16)), MAX_RETRY)


async def deliver_due(
    *, session: AsyncSession, sender: Sender, now: datetime, batch_size: int = BATCH_SIZE
) -> DeliveryReport:
    """Send up to batch_size due messages, oldest first, and commit their outcomes."""
    claimed = (
        await session.scalars(
            select(Notification)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= now,
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
    ).all()
    sent = retried = failed = 0
    for notification in claimed:
        notification.attempts += 1
        # Any failure, even a bug in a sender, is retried: one bad message must not wedge the queue.
        try:
            await sender.send(_message(notification))
        except Exception as error:
            if not isinstance(error, DeliveryError):
                logger.exception("sending notification %s failed", notification.id)
            notification.last_error = str(error)[:1000] or type(error).__name__
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = NotificationStatus.FAILED
                failed += 1
            else:
                notification.next_attempt_at = now + retry_delay(notification.attempts)
                retried += 1
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.last_error = None
            sent += 1
    await session.commit()
    return DeliveryReport(sent=sent, retried=retried, failed=failed)


def _message(notification: Notification) -> Message:
    return Message(
        id=notification.id,
        channel=notification.channel,
        recipient=notification.recipient,
        subject=notification.subject,
        body=notification.body,
    )


async def run_worker(
    *,
    database: Database,
    sender: Sender,
    clock: Clock,
    poll_seconds: float,
    stop: asyncio.Event,
    once: bool = False,
    webhooks: Dispatcher | None = None,
) -> DeliveryReport:
    """Deliver until stopped (or, with once, until nothing is due); returns the totals.

    With a webhook dispatcher each step also delivers due webhooks, from the same loop,
    each outbox in a transaction of its own.
    """
    sent = retried = failed = 0
    while not stop.is_set():
        try:
            async with database.session() as session:
                report = await deliver_due(session=session, sender=sender, now=clock.now())
        except Exception:
            # The database may be restarting: keep the worker alive and try again shortly.
            logger.exception("notification delivery step failed")
            report = DeliveryReport()
            if once:
                raise
        hooks_busy = False
        if webhooks is not None:
            try:
                async with database.session() as session:
                    hooks = await deliver_due_webhooks(
                        session=session, dispatcher=webhooks, now=clock.now()
                    )
            except Exception:
                logger.exception("webhook delivery step failed")
                if once:
                    raise
            else:
                hooks_busy = hooks.claimed >= WEBHOOK_BATCH_SIZE
                if hooks.claimed:
                    logger.debug("webhooks: %s", hooks)
        sent, retried, failed = sent + report.sent, retried + report.retried, failed + report.failed
        if report.claimed:
            logger.debug("delivered: %s", report)
        if report.claimed >= BATCH_SIZE or hooks_busy:
            continue  # more may be waiting: no pause
        if once:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    return DeliveryReport(sent=sent, retried=retried, failed=failed)
