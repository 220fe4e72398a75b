"""One-time passwords, their sending budgets and the notification outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, created_at_column
from db.enums import NotificationChannel, NotificationStatus, OtpBudgetScope, OtpPurpose
from db.models._types import checked_enum


class OtpChallenge(Base):
    """A code sent to a phone for one purpose; only its hash is kept."""

    __tablename__ = "otp_challenges"
    __table_args__ = (
        # Verification reads the newest challenge of a (phone, purpose);
        # rate limits count a phone's recent sends.
        Index("ix_otp_challenges_phone_purpose_created_at", "phone", "purpose", "created_at"),
        Index("ix_otp_challenges_phone_created_at", "phone", "created_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[OtpPurpose] = mapped_column(checked_enum(OtpPurpose, "purpose"))
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class OtpSendCount(Base):
    """Codes sent in one clock hour (UTC) by one client address, to one phone prefix, or in all.

    One row per (scope, key, hour), bumped with INSERT ... ON CONFLICT DO UPDATE in the
    sending transaction: the row lock makes concurrent sends on every worker count true.
    """

    __tablename__ = "otp_send_counts"
    __table_args__ = (CheckConstraint("sends >= 1", name="sends_positive"),)

    scope: Mapped[OtpBudgetScope] = mapped_column(
        checked_enum(OtpBudgetScope, "scope"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    sends: Mapped[int] = mapped_column(Integer)
    # When the budget first refused a send this hour: the operator's warning is logged once.
    exhausted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """An outbox row: written in the transaction that causes it, delivered by the worker."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_pending_next_attempt_at",
            "next_attempt_at",
            postgresql_where="status = 'PENDING'",
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # A message that must go at most once (a reminder, "you are third in line") names
        # its reason; a second enqueue of the same key is a no-op (resolvers/platform/outbox.py).
        Index(
            "uq_notifications_dedup_key",
            "dedup_key",
            unique=True,
            postgresql_where="dedup_key IS NOT NULL",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    channel: Mapped[NotificationChannel] = mapped_column(
        checked_enum(NotificationChannel, "channel")
    )
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NotificationStatus] = mapped_column(
        checked_enum(NotificationStatus, "status"),
        server_default=NotificationStatus.PENDING.value,
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    dedup_key: Mapped[str | None] = mapped_column(String(128))
    # A message about an appointment (a reminder) goes only while it is BOOKED and its
    # session has not begun; the worker checks when it sends (resolvers/messaging/delivery.py).
    # No index: the worker joins from here, and appointments are never deleted.
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE")
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
