"""Webhooks' root query: the endpoints the viewer may manage (admins: all; a doctor: theirs)."""

from __future__ import annotations

import strawberry

from db.enums import AccountRole
from db.models import Account
from resolvers.webhooks import endpoints
from schema.platform.context import Info
from schema.webhooks.types import WebhookEndpoint


async def webhook_owner(info: Info) -> Account:
    """An admin, or a doctor who is not suspended (UNAUTHENTICATED or FORBIDDEN otherwise)."""
    account = await info.context.require_account()
    if account.role is AccountRole.ADMIN:
        return account
    return await info.context.require_doctor()


@strawberry.type
class WebhooksQuery:
    @strawberry.field(description="Webhook endpoints: every one for admins, a doctor's own.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        viewer = await webhook_owner(info)
        async with info.context.db.use() as session:
            found = await endpoints.list_endpoints(session=session, viewer=viewer)
        return [WebhookEndpoint.from_model(model) for model in found]
