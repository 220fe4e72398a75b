"""Writing the audit trail: one row per action, in the transaction of the action itself."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AuditAction, AuditTargetKind
from db.models import AuditEvent
from resolvers.platform.audit import Actor

MAX_TEXT_LENGTH = 160
# A run of 7 or more digits, possibly split by spaces, dots, dashes or brackets, and
# perhaps after a +: what a phone number typed into free text looks like.
_PHONE_LIKE = re.compile(r"\+?\d(?:[\s().-]*\d){6,}")


def record(
    session: AsyncSession,
    *,
    actor: Actor,
    action: AuditAction,
    now: datetime,
    target_kind: AuditTargetKind | None = None,
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add the event to the session: it is stored if, and only if, the caller commits.

    ``details`` must hold no secrets (passwords, codes, tokens) and no phone numbers;
    free text in it goes through ``safe_text``.
    """
    event = AuditEvent(
        occurred_at=now,
        action=action,
        actor_kind=actor.kind,
        actor_account_id=actor.account_id,
        target_kind=target_kind,
        target_id=target_id,
        client_address=actor.client_address,
        request_id=actor.request_id,
        details=details or {},
    )
    session.add(event)
    return event


def safe_text(raw: str | None) -> str | None:
    """Free text (a reason) as the trail keeps it: cut short, phone-like numbers masked."""
    if raw is None or not raw.strip():
        return None
    return _PHONE_LIKE.sub("[number]", raw.strip())[:MAX_TEXT_LENGTH]
