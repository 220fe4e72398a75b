"""Webhook endpoints, one delivery row per endpoint per event, and every attempt at it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column
from db.enums import WebhookDeliveryStatus, WebhookEvent
from db.models._types import checked_enum

_EVENT_NAMES = ", ".join(f"'{event.value}'" for event in WebhookEvent)
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 500


class WebhookEndpoint(Base):
    """Where a clinic's software wants events POSTed, and the secret that signs them.

    ``doctor_id`` NULL: an admins' endpoint, which hears every doctor's events; otherwise
    the one doctor whose schedules' events it hears (and who manages it).
    The secrets are AES-GCM ciphertexts (resolvers/webhooks/secrets.py), never plain text.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        Index("ix_webhook_endpoints_doctor_id", "doctor_id"),
        CheckConstraint(
            f"events <@ ARRAY[{_EVENT_NAMES}]::varchar[] AND cardinality(events) > 0",
            name="events_known",
        ),
        CheckConstraint(
            "(previous_secret IS NULL) = (previous_secret_expires_at IS NULL)",
            name="previous_secret_with_expiry",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    description: Mapped[str | None] = mapped_column(String(MAX_DESCRIPTION_LENGTH))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    # After a rotation the old secret signs too, as a second signature, until it expires.
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Since when every attempt has failed (NULL: the last attempt succeeded, or none yet).
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class WebhookDelivery(Base):
    """One event for one endpoint: the outbox row the worker claims, signs and POSTs.

    ``message_id`` is the ``webhook-id`` header, the same on every retry, so a receiver
    drops a duplicate; ``body`` is the exact bytes signed and sent each time.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id"),
        Index(
            "ix_webhook_deliveries_pending_next_attempt_at",
            "next_attempt_at",
            postgresql_where="status = 'PENDING'",
        ),
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[WebhookEvent] = mapped_column(checked_enum(WebhookEvent, "event"))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[WebhookDeliveryStatus] = mapped_column(
        checked_enum(WebhookDeliveryStatus, "status"),
        server_default=WebhookDeliveryStatus.PENDING.value,
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_response_status: Mapped[int | None] = mapped_column(SmallInteger)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class WebhookAttempt(Base):
    """One POST of a delivery: what came back (or why nothing did), and how long it took."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_delivery_id", "delivery_id"),
        CheckConstraint("duration_ms >= 0", name="duration_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    succeeded: Mapped[bool] = mapped_column(Boolean)
    response_status: Mapped[int | None] = mapped_column(SmallInteger)
    duration_ms: Mapped[int] = mapped_column(Integer)
    # The first bytes of the answer (bounded when read), for the clinic to debug with.
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
