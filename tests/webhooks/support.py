"""Steps the webhook tests share: register an endpoint through the API, run the worker."""

from __future__ import annotations

from typing import Any

from db.session import Database
from resolvers.platform.clock import FixedClock
from resolvers.webhooks.delivery import Dispatcher, WebhookReport, deliver_due_webhooks
from tests.conftest import GraphQLClient
from tests.webhooks.receiver import Receiver, integration_operation

CREATE = integration_operation("CreateWebhookEndpoint")
ENDPOINTS = integration_operation("WebhookEndpoints")
SEND_TEST = integration_operation("SendTestWebhook")
ROTATE = integration_operation("RotateWebhookSecret")
DELETE = integration_operation("DeleteWebhookEndpoint")
ALL_EVENTS = ["APPOINTMENT_BOOKED", "APPOINTMENT_CANCELLED", "APPOINTMENT_STATUS_CHANGED"]


async def register(
    gql: GraphQLClient,
    token: str,
    url: str,
    *,
    events: list[str] | None = None,
    receiver: Receiver | None = None,
) -> dict[str, Any]:
    """Create an endpoint as the token's owner; its secret goes to the receiver."""
    body = await gql(
        CREATE,
        {"input": {"url": url, "description": "front desk", "events": events or ALL_EVENTS}},
        token=token,
    )
    created: dict[str, Any] = body["data"]["createWebhookEndpoint"]
    assert created["__typename"] == "WebhookEndpointCreated", body
    if receiver is not None:
        receiver.secrets.append(created["secret"])
    return created


async def deliver(database: Database, dispatcher: Dispatcher, clock: FixedClock) -> WebhookReport:
    """One step of the worker, as `manage.py worker` runs it, at the clock's time."""
    async with database.session() as worker:
        return await deliver_due_webhooks(session=worker, dispatcher=dispatcher, now=clock.now())


async def deliver_all(database: Database, dispatcher: Dispatcher, clock: FixedClock) -> int:
    """Worker steps until nothing is due (a step claims a batch); how many were delivered."""
    delivered = 0
    while (report := await deliver(database, dispatcher, clock)).claimed:
        delivered += report.delivered
    return delivered
