"""Webhooks' root mutations: register, test, rotate the secret of, and delete endpoints."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from resolvers.webhooks import endpoints
from resolvers.webhooks.addresses import AddressPolicy, system_resolve
from schema.platform.context import Info
from schema.platform.ids import int_id
from schema.platform.results import answer
from schema.webhooks.inputs import WebhookEndpointInput
from schema.webhooks.queries import webhook_owner
from schema.webhooks.results import (
    CreateWebhookEndpointResult,
    DeleteWebhookEndpointResult,
    RotateWebhookSecretResult,
    SendTestWebhookResult,
)


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(
        description="Register an endpoint (admins: every event; doctors: their schedules')."
    )
    async def create_webhook_endpoint(
        self, info: Info, input: WebhookEndpointInput
    ) -> CreateWebhookEndpointResult:
        ctx = info.context
        owner = await webhook_owner(info)
        loopback = ctx.settings.webhooks_allow_loopback
        return answer(
            await ctx.call(
                endpoints.create_endpoint,
                owner=owner,
                url=input.url,
                description=input.description,
                events=list(input.events),
                policy=AddressPolicy.for_loopback(loopback),
                # Production resolves the host when saving; development never waits on DNS.
                resolve=None if loopback else system_resolve,
                secret_key=ctx.settings.secret_key,
                now=ctx.clock.now(),
            )
        )

    @strawberry.mutation(description="Queue a webhook.test delivery (and enable the endpoint).")
    async def send_test_webhook(self, info: Info, id: strawberry.ID) -> SendTestWebhookResult:
        ctx = info.context
        viewer = await webhook_owner(info)
        return answer(
            await ctx.call(
                endpoints.send_test, viewer=viewer, endpoint_id=int_id(id), now=ctx.clock.now()
            )
        )

    @strawberry.mutation(
        description="A new secret, shown once; the old one also signs for the grace period."
    )
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID
    ) -> RotateWebhookSecretResult:
        ctx = info.context
        viewer = await webhook_owner(info)
        return answer(
            await ctx.call(
                endpoints.rotate_secret,
                viewer=viewer,
                endpoint_id=int_id(id),
                secret_key=ctx.settings.secret_key,
                grace=timedelta(hours=ctx.settings.webhook_secret_grace_hours),
                now=ctx.clock.now(),
            )
        )

    @strawberry.mutation(description="Delete an endpoint with its deliveries.")
    async def delete_webhook_endpoint(
        self, info: Info, id: strawberry.ID
    ) -> DeleteWebhookEndpointResult:
        ctx = info.context
        viewer = await webhook_owner(info)
        return answer(
            await ctx.call(endpoints.delete_endpoint, viewer=viewer, endpoint_id=int_id(id))
        )
