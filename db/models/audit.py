"""The audit trail: one append-only row per security-relevant action."""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, text
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.enums import ActorKind, AuditAction, AuditTargetKind
from db.models._types import checked_enum


class AuditEvent(Base):
    """Who did what to what, when, from which address, in which request.

    No foreign keys: the trail outlives what it names, and a cascade (even SET NULL, an
    UPDATE) would rewrite history. The database refuses UPDATE, DELETE and TRUNCATE
    (triggers of migration 0008), so the application can only append.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        # Admins page newest first, all events or one action's or one actor's.
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_actor_account_id_id", "actor_account_id", "id"),
    )

    # ALWAYS: ids come from the database only, so they follow the order rows were added.
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    action: Mapped[AuditAction] = mapped_column(checked_enum(AuditAction, "action"))
    actor_kind: Mapped[ActorKind] = mapped_column(checked_enum(ActorKind, "actor_kind"))
    actor_account_id: Mapped[int | None] = mapped_column(BigInteger)
    target_kind: Mapped[AuditTargetKind | None] = mapped_column(
        checked_enum(AuditTargetKind, "target_kind")
    )
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    # asyncpg reads inet as ipaddress objects and writes them (or their text) as given.
    client_address: Mapped[IPv4Address | IPv6Address | str | None] = mapped_column(INET)
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb"), default=dict
    )
