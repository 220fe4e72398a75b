"""The outbox: messages and webhook deliveries are written in the transaction that causes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import BigInteger, String, Text, cast, column, func, insert, literal, select, values
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel, WebhookEvent
from db.models import Notification, WebhookDelivery, WebhookEndpoint


def enqueue(
    session: AsyncSession,
    *,
    channel: NotificationChannel,
    recipient: str,
    body: str,
    now: datetime,
    subject: str | None = None,
) -> Notification:
    """Add a pending message to the session; it is sent only if the caller's transaction commits."""
    notification = Notification(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(notification)
    return notification


@dataclass(frozen=True, slots=True)
class OnceMessage:
    """A message to queue at most once: its reason (``dedup_key``), where it goes, and when.

    ``appointment_id`` makes it conditional: the worker sends it only while that
    appointment is BOOKED and its session has not begun, and marks it SKIPPED otherwise.
    """

    dedup_key: str
    channel: NotificationChannel
    recipient: str
    body: str
    due_at: datetime | None = None
    appointment_id: int | None = None


async def enqueue_once(
    session: AsyncSession,
    *,
    dedup_key: str,
    channel: NotificationChannel,
    recipient: str,
    body: str,
    now: datetime,
    due_at: datetime | None = None,
    appointment_id: int | None = None,
) -> bool:
    """Queue a message unless one with this key was ever queued; True when this call queued it.

    One INSERT ... ON CONFLICT DO NOTHING on the unique key, so two transactions racing to
    send the same reason ("reminder:MMA-7") queue it once. ``due_at`` holds it back: the
    worker sends nothing before its next attempt time.
    """
    message = OnceMessage(dedup_key, channel, recipient, body, due_at, appointment_id)
    return bool(await enqueue_each_once(session, [message], now=now))


async def enqueue_each_once(
    session: AsyncSession, messages: Sequence[OnceMessage], *, now: datetime
) -> set[str]:
    """Queue each message whose key was never queued, all in one statement; the keys queued.

    Rows go in in key order, so transactions racing over overlapping batches wait for each
    other's keys in one order and cannot deadlock.
    """
    if not messages:
        return set()
    queued = await session.scalars(
        upsert(Notification)
        .values(
            [
                {
                    "channel": message.channel,
                    "recipient": message.recipient,
                    "body": message.body,
                    "dedup_key": message.dedup_key,
                    "appointment_id": message.appointment_id,
                    "next_attempt_at": message.due_at or now,
                    "created_at": now,
                }
                for message in sorted(messages, key=lambda message: message.dedup_key)
            ]
        )
        .on_conflict_do_nothing(
            index_elements=[Notification.dedup_key],
            index_where=Notification.dedup_key.is_not(None),
        )
        .returning(Notification.dedup_key)
    )
    return {key for key in queued if key is not None}


# Webhooks: an event becomes one delivery row per endpoint that wants it, written by one
# INSERT ... SELECT in the caller's transaction (so a rolled-back change sends nothing).
# The worker (resolvers/webhooks/delivery.py) signs and POSTs them.


@dataclass(frozen=True, slots=True)
class WebhookEventDraft:
    """An event to fan out: its type, the doctor whose schedules it concerns, its data."""

    event: WebhookEvent
    doctor_id: int | None
    data: Mapping[str, Any]


def webhook_body(event: WebhookEvent, data: Mapping[str, Any], *, now: datetime) -> str:
    """The Standard Webhooks body: type, timestamp and data, as the exact text to sign."""
    payload = {"type": event.wire_name, "timestamp": _iso(now), "data": data}
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()


async def enqueue_webhook_events(
    session: AsyncSession, events: Sequence[WebhookEventDraft], *, now: datetime
) -> None:
    """Queue each event for every enabled endpoint subscribed to it: one statement for all.

    An admins' endpoint (doctor_id NULL) hears every doctor's events; a doctor's endpoint
    only the events of that doctor.
    """
    if not events:
        return
    drafts = values(
        column("event", String),
        column("doctor_id", BigInteger),
        column("body", Text),
        name="drafts",
    ).data([(e.event.value, e.doctor_id, webhook_body(e.event, e.data, now=now)) for e in events])
    endpoint = WebhookEndpoint
    fan_out = (
        select(
            endpoint.id,
            drafts.c.event,
            # webhook-id: unique per delivery, the same on each of its retries.
            literal("msg_") + func.replace(cast(func.gen_random_uuid(), String), "-", ""),
            drafts.c.body,
            literal(now),
            literal(now),
        )
        .select_from(endpoint)
        .join(
            drafts,
            (drafts.c.event == func.any(endpoint.events))
            & (endpoint.doctor_id.is_(None) | (endpoint.doctor_id == drafts.c.doctor_id)),
        )
        .where(endpoint.enabled)
    )
    await session.execute(
        insert(WebhookDelivery).from_select(
            ["endpoint_id", "event", "message_id", "body", "next_attempt_at", "created_at"],
            fan_out,
        )
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
