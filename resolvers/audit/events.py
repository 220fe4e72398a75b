"""Reading the audit trail: newest first, a page at a time, by action or actor."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AuditAction
from db.models import AuditEvent
from resolvers.platform.pagination import Page, decode_cursor, page_size


async def list_audit_events(
    *,
    session: AsyncSession,
    first: int | None,
    after: str | None,
    action: AuditAction | None = None,
    actor_account_id: int | None = None,
) -> Page[AuditEvent]:
    """Events newest first (by id: the order they were added), optionally of one action or actor."""
    limit = page_size(first)
    offset = decode_cursor(after)
    where: ColumnElement[bool] = true()
    if action is not None:
        where = where & (AuditEvent.action == action)
    if actor_account_id is not None:
        where = where & (AuditEvent.actor_account_id == actor_account_id)
    total = await session.scalar(select(func.count()).select_from(AuditEvent).where(where)) or 0
    events = (
        await session.scalars(
            select(AuditEvent)
            .where(where)
            .order_by(AuditEvent.id.desc())
            .offset(offset)
            .limit(limit + 1)
        )
    ).all()
    return Page(
        items=events[:limit], offset=offset, has_next_page=len(events) > limit, total_count=total
    )
