"""The outboxes' backlog: pending messages and the age of the oldest, in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, extract, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db.enums import NotificationStatus, WebhookDeliveryStatus
from db.models import Notification, WebhookDelivery


@dataclass(frozen=True, slots=True)
class Backlog:
    """One outbox's pending rows; ``oldest_seconds`` is 0 when nothing is pending."""

    outbox: str
    pending: int
    oldest_seconds: float


def _pending(
    name: str, created_at: InstrumentedAttribute[datetime], pending: ColumnElement[bool]
) -> Select[str, int, float]:
    # Ages by the database's clock, the one created_at was stamped with.
    age = extract("epoch", func.now() - func.min(created_at))
    return select(literal(name), func.count(), func.coalesce(age, 0.0)).where(pending)


# Both filters are the partial indexes' own predicates (status = 'PENDING'), so each
# aggregate reads only the pending rows, however many were ever sent.
_BACKLOG = union_all(
    _pending(
        "notifications",
        Notification.created_at,
        Notification.status == NotificationStatus.PENDING,
    ),
    _pending(
        "webhooks",
        WebhookDelivery.created_at,
        WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
    ),
)


async def outbox_backlog(*, session: AsyncSession) -> list[Backlog]:
    """The notification and webhook outboxes' pending messages, as of now."""
    rows = (await session.execute(_BACKLOG)).all()
    return [
        Backlog(outbox=name, pending=int(n), oldest_seconds=float(age)) for name, n, age in rows
    ]
