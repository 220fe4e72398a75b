"""The notification outbox: messages are written in the transaction that causes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel
from db.models import Notification


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
