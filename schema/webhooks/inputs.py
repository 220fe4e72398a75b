"""Webhooks' inputs: where to POST and which events."""

from __future__ import annotations

import strawberry

from schema.webhooks.types import WebhookEvent


@strawberry.input(description="A new endpoint: an https URL and the events it wants.")
class WebhookEndpointInput:
    url: str
    description: str | None = None
    events: list[WebhookEvent]  # type: ignore[valid-type]
