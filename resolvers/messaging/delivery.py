"""The outbox worker's step: claim due messages, send them, record success or the next try.

Each message is claimed, sent and recorded in a transaction of its own: the row is
claimed with FOR UPDATE SKIP LOCKED (so any number of workers can run, each taking
rows no other worker holds), and its outcome is committed as soon as the sender has
answered, before the next message is claimed.

What a crash can do: a worker killed mid-batch has committed every message it had
sent, so nothing it sent goes again, and the messages it had not reached are still
PENDING, unlocked the moment its connection drops, so nothing is lost. One message
can be caught in flight: handed to the sender but its outcome not yet committed.
That one is sent again (at least once), with the same idempotency key
(``notification-<id>``, an HTTP header for the webhook sender), so a provider that
honours the key drops the copy.

A message about an appointment (a reminder) is sent only while the appointment is
BOOKED and its session has not begun; otherwise it ends SKIPPED. The check is made in
the statement that claims it, just before sending: a cancellation committed before
that stops it, one committed while it is already with the sender does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, NotificationStatus
from db.models import Account, Appointment, Notification, Schedule
from db.session import Database
from resolvers.messaging.reminders import BATCH_SIZE as REMINDER_BATCH_SIZE
from resolvers.messaging.reminders import queue_due_reminders
from resolvers.messaging.senders import DeliveryError, Message, Sender
from resolvers.platform.calendar import local_instant
from resolvers.platform.clock import Clock
from resolvers.waitlist.expiry import BATCH_SIZE as EXPIRY_BATCH_SIZE
from resolvers.waitlist.expiry import expire_waiting
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
    skipped: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: 30 s, 1 min, 2 min, ... at most 1 h."""
    return min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 16)), MAX_RETRY)


async def deliver_due(
    *, session: AsyncSession, sender: Sender, now: datetime, batch_size: int = BATCH_SIZE
) -> DeliveryReport:
    """Send up to batch_size due messages, oldest first, committing each outcome at once."""
    sent = retried = failed = skipped = 0
    for _ in range(batch_size):
        claimed = await _claim_next(session, now=now)
        if claimed is None:
            break
        notification, unwanted = claimed
        if unwanted is not None:
            notification.status = NotificationStatus.SKIPPED
            notification.last_error = unwanted
            skipped += 1
        elif await _send(notification, sender, now=now):
            sent += 1
        elif notification.status is NotificationStatus.FAILED:
            failed += 1
        else:
            retried += 1
        await session.commit()
    await session.commit()  # ends the transaction of a claim that found nothing
    return DeliveryReport(sent=sent, retried=retried, failed=failed, skipped=skipped)


async def _claim_next(
    session: AsyncSession, *, now: datetime
) -> tuple[Notification, str | None] | None:
    """Lock the oldest due message no other worker holds; with why not to send it, if so."""
    row = (
        await session.execute(
            select(
                Notification,
                Appointment.status,
                Appointment.session_date,
                Schedule.start_time,
                Account.time_zone,
            )
            .outerjoin(Appointment, Appointment.id == Notification.appointment_id)
            .outerjoin(Schedule, Schedule.id == Appointment.schedule_id)
            .outerjoin(Account, Account.id == Schedule.doctor_id)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= now,
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(1)
            .with_for_update(of=Notification, skip_locked=True)
        )
    ).first()
    if row is None:
        return None
    notification, status, day, start, zone = row
    if notification.appointment_id is None:
        return notification, None
    if status is not AppointmentStatus.BOOKED:
        return notification, f"appointment is {status}"
    if local_instant(day, start, ZoneInfo(zone)) <= now:
        return notification, "session has begun"
    return notification, None


async def _send(notification: Notification, sender: Sender, *, now: datetime) -> bool:
    """One attempt; records its outcome on the row (the caller commits). True when sent."""
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
        else:
            notification.next_attempt_at = now + retry_delay(notification.attempts)
        return False
    notification.status = NotificationStatus.SENT
    notification.sent_at = now
    notification.last_error = None
    return True


def _message(notification: Notification) -> Message:
    return Message(
        id=notification.id,
        channel=notification.channel,
        recipient=notification.recipient,
        subject=notification.subject,
        body=notification.body,
    )


async def _expire_waitlists(database: Database, clock: Clock, *, once: bool) -> bool:
    """Expire the waitlist entries whose booking closed; True when a whole batch went."""
    try:
        async with database.session() as session:
            expired = await expire_waiting(session=session, now=clock.now())
    except Exception:
        logger.exception("waitlist expiry step failed")
        if once:
            raise
        return False
    if expired:
        logger.info("waitlist entries expired: %s", expired)
    return expired >= EXPIRY_BATCH_SIZE


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

    Each step first queues the reminders that have come due and expires the waitlist
    entries whose session's booking has closed (queueing their SMS), then delivers the
    outbox; with a webhook dispatcher it also delivers due webhooks, from the same loop,
    each in a transaction of its own.
    """
    totals = DeliveryReport()
    while not stop.is_set():
        reminders_busy = False
        try:
            async with database.session() as session:
                queued = await queue_due_reminders(session=session, now=clock.now())
        except Exception:
            logger.exception("reminder step failed")
            if once:
                raise
        else:
            reminders_busy = queued >= REMINDER_BATCH_SIZE
            if queued:
                logger.debug("reminders queued: %s", queued)
        expiry_busy = await _expire_waitlists(database, clock, once=once)
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
        totals = DeliveryReport(
            sent=totals.sent + report.sent,
            retried=totals.retried + report.retried,
            failed=totals.failed + report.failed,
            skipped=totals.skipped + report.skipped,
        )
        if report.claimed:
            logger.debug("delivered: %s", report)
        if report.claimed >= BATCH_SIZE or hooks_busy or reminders_busy or expiry_busy:
            continue  # more may be waiting: no pause
        if once:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
    return totals
