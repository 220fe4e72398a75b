"""Audit's root query: the trail, for admins only."""

from __future__ import annotations

import strawberry

from db.enums import AuditAction
from resolvers.audit import events
from schema.audit.types import AuditEventConnection, audit_event_connection
from schema.platform.context import Info
from schema.platform.ids import int_id


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Recorded sign-ins, password changes and admin and doctor actions, newest "
        "first; optionally one action's or one actor's (admins only)."
    )
    async def audit_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        action: AuditAction | None = None,
        actor_id: strawberry.ID | None = None,
    ) -> AuditEventConnection:
        await info.context.require_admin()
        async with info.context.db.use() as session:
            page = await events.list_audit_events(
                session=session,
                first=first,
                after=after,
                action=action,
                actor_account_id=None if actor_id is None else int_id(actor_id),
            )
        return audit_event_connection(page)
