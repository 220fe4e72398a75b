"""Webhooks' root mutations: register, test, rotate the secret of, and delete endpoints."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from resolvers.webhooks import endpoints
from resolvers.webhooks.addresses import AddressPolicy, system_resolve
from schema.platform.context import Info
from schema.platform.ids import int_id
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
        owner = await webhook_owner(info)
        loopback = info.context.settings.webhooks_allow_loopback
        return await info.context.answer(
            endpoints.create_endpoint,
            owner=owner,
            url=input.url,
            description=input.description,
            events=list(input.events),
            policy=AddressPolicy.for_loopback(loopback),
            # Production resolves the host when saving; development never waits on DNS.
            resolve=None if loopback else system_resolve,
        )

    @strawberry.mutation(description="Queue a webhook.test delivery (and enable the endpoint).")
    async def send_test_webhook(self, info: Info, id: strawberry.ID) -> SendTestWebhookResult:
        viewer = await webhook_owner(info)
        return await info.context.answer(endpoints.send_test, viewer=viewer, endpoint_id=int_id(id))

    @strawberry.mutation(
        description="A new secret, shown once; the old one also signs for the grace period."
    )
    async def rotate_webhook_secret(
        self, info: Info, id: strawberry.ID
    ) -> RotateWebhookSecretResult:
        viewer = await webhook_owner(info)
        grace = timedelta(hours=info.context.settings.webhook_secret_grace_hours)
        return await info.context.answer(
            endpoints.rotate_secret, viewer=viewer, endpoint_id=int_id(id), grace=grace
        )

    @strawberry.mutation(description="Delete an endpoint with its deliveries.")
    async def delete_webhook_endpoint(
        self, info: Info, id: strawberry.ID
    ) -> DeleteWebhookEndpointResult:
        viewer = await webhook_owner(info)
        return await info.context.answer(
            endpoints.delete_endpoint, viewer=viewer, endpoint_id=int_id(id)
        )
