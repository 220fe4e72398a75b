"""AuditEvent and its connection: one recorded action as an admin reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from db.enums import ActorKind, AuditAction, AuditTargetKind
from db.models import AuditEvent as AuditEventModel
from resolvers.platform.pagination import Page
from schema.accounts.types import Account
from schema.platform.context import Info
from schema.platform.pagination import Connection

# Registered on the stored enums themselves, as schema/platform/enums.py does.
strawberry.enum(AuditAction, description="A security-relevant action the audit trail records.")
strawberry.enum(ActorKind, description="Who performed an audited action.")
strawberry.enum(AuditTargetKind, description="What kind of thing an audited action was done to.")


@strawberry.type(description="One recorded action: who, what, to what, when, from where.")
class AuditEvent:
    id: strawberry.ID
    occurred_at: datetime
    action: AuditAction
    actor_kind: ActorKind
    target_kind: AuditTargetKind | None = strawberry.field(
        description="What the action was done to (null when it named nothing, as a sign-in "
        "with an unknown email)."
    )
    target_id: strawberry.ID | None
    client_address: str | None = strawberry.field(
        description="The client's address as the server saw it; null when unknown."
    )
    request_id: str | None = strawberry.field(
        description="The request's X-Request-ID, which its log line carries too."
    )
    details: JSON = strawberry.field(
        description="What else the action tells (no secrets, no phone numbers)."
    )
    actor_account_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, model: AuditEventModel) -> AuditEvent:
        return cls(
            id=strawberry.ID(str(model.id)),
            occurred_at=model.occurred_at,
            action=model.action,
            actor_kind=model.actor_kind,
            target_kind=model.target_kind,
            target_id=None if model.target_id is None else strawberry.ID(str(model.target_id)),
            client_address=None if model.client_address is None else str(model.client_address),
            request_id=model.request_id,
            details=_json(model.details),
            actor_account_id=model.actor_account_id,
        )

    @strawberry.field(description="The account that acted; null for anonymous and system actors.")
    async def actor(self, info: Info) -> Account | None:
        if self.actor_account_id is None:
            return None
        model = await info.context.loaders.account_by_id.load(self.actor_account_id)
        return None if model is None else Account.from_model(model)


def _json(details: dict[str, Any]) -> Any:
    # Declared JSON for GraphQL; the stored object is already plain JSON.
    return details


AuditEventConnection = Connection[AuditEvent]


def audit_event_connection(page: Page[AuditEventModel]) -> AuditEventConnection:
    return Connection.of(page, [AuditEvent.from_model(item) for item in page.items])
