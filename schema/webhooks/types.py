"""Webhooks' types: an endpoint (never its secret), its deliveries and each attempt."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

import strawberry

from db import enums as db_enums
from db.models import WebhookAttempt as AttemptModel
from db.models import WebhookDelivery as DeliveryModel
from db.models import WebhookEndpoint as EndpointModel
from resolvers.platform.pagination import Page, page_size
from schema.platform.context import Info
from schema.platform.pagination import PageInfo, edges_of

WebhookEvent = strawberry.enum(
    db_enums.WebhookEvent,
    description="What an endpoint can hear. The body's type is the lower-case name with a "
    "dot after the noun: APPOINTMENT_STATUS_CHANGED is appointment.status_changed. "
    "SESSION_DELAYED is in the catalogue for live sessions and not sent yet.",
)
WebhookDeliveryStatus = strawberry.enum(
    db_enums.WebhookDeliveryStatus,
    description="PENDING: waiting for its (next) attempt; DELIVERED: a 2xx answer came back; "
    "FAILED: no 2xx within the retry window, or the endpoint was disabled.",
)

DEFAULT_DELIVERIES = 10


@strawberry.type(description="One POST of a delivery and what came back.")
class WebhookAttempt:
    attempted_at: datetime
    succeeded: bool
    response_status: int | None = strawberry.field(description="Null when no answer came.")
    duration_ms: int
    response_body: str | None = strawberry.field(
        description="The first kilobyte of the answer, for debugging a receiver."
    )
    error: str | None = strawberry.field(description="Why it failed; null when it succeeded.")

    @classmethod
    def from_model(cls, model: AttemptModel) -> WebhookAttempt:
        return cls(
            attempted_at=model.attempted_at,
            succeeded=model.succeeded,
            response_status=model.response_status,
            duration_ms=model.duration_ms,
            response_body=model.response_body,
            error=model.error,
        )


@strawberry.type(description="One event for one endpoint, retried until delivered or failed.")
class WebhookDelivery:
    id: strawberry.ID
    message_id: str = strawberry.field(
        description="The webhook-id header: the same on every retry, for dropping duplicates."
    )
    event: WebhookEvent  # type: ignore[valid-type]
    status: WebhookDeliveryStatus  # type: ignore[valid-type]
    attempts: int
    last_response_status: int | None
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next; null unless PENDING."
    )
    created_at: datetime
    delivered_at: datetime | None
    delivery_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, model: DeliveryModel) -> WebhookDelivery:
        pending = model.status is db_enums.WebhookDeliveryStatus.PENDING
        return cls(
            id=strawberry.ID(str(model.id)),
            message_id=model.message_id,
            event=model.event,
            status=model.status,
            attempts=model.attempts,
            last_response_status=model.last_response_status,
            next_attempt_at=model.next_attempt_at if pending else None,
            created_at=model.created_at,
            delivered_at=model.delivered_at,
            delivery_id=model.id,
        )

    @strawberry.field(description="Every attempt, oldest first.", graphql_type=list[WebhookAttempt])
    def history(self, info: Info) -> list[WebhookAttempt] | Awaitable[list[WebhookAttempt]]:
        return info.context.loaders.attempts_by_delivery_id.load_then(
            self.delivery_id, lambda found: [WebhookAttempt.from_model(item) for item in found]
        )


@strawberry.type
class WebhookDeliveryEdge:
    cursor: str
    node: WebhookDelivery


@strawberry.type(description="An endpoint's deliveries, newest first.")
class WebhookDeliveryConnection:
    page_info: PageInfo
    edges: list[WebhookDeliveryEdge]

    @classmethod
    def from_models(cls, models: list[DeliveryModel], limit: int) -> WebhookDeliveryConnection:
        page = Page(
            items=models[:limit],
            offset=0,
            has_next_page=len(models) > limit,
            total_count=len(models),
        )
        nodes = [WebhookDelivery.from_model(model) for model in page.items]
        return cls(
            page_info=PageInfo.from_page(page), edges=edges_of(page, WebhookDeliveryEdge, nodes)
        )


@strawberry.type(description="Where events are POSTed, signed with its secret (shown once only).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    description: str | None
    events: list[WebhookEvent]  # type: ignore[valid-type]
    enabled: bool = strawberry.field(
        description="False once every attempt failed for a day; SendTestWebhook enables it again."
    )
    all_doctors: bool = strawberry.field(
        description="An admins' endpoint, hearing every doctor's events; false: one doctor's."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation, until when the old secret still signs (second)."
    )
    disabled_at: datetime | None
    created_at: datetime
    endpoint_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, model: EndpointModel) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(str(model.id)),
            url=model.url,
            description=model.description,
            events=[db_enums.WebhookEvent(event) for event in model.events],
            enabled=model.enabled,
            all_doctors=model.doctor_id is None,
            previous_secret_expires_at=model.previous_secret_expires_at,
            disabled_at=model.disabled_at,
            created_at=model.created_at,
            endpoint_id=model.id,
        )

    @strawberry.field(
        description="The newest deliveries (first at most 100).",
        graphql_type=WebhookDeliveryConnection,
    )
    def deliveries(
        self, info: Info, first: int | None = DEFAULT_DELIVERIES
    ) -> WebhookDeliveryConnection | Awaitable[WebhookDeliveryConnection]:
        limit = page_size(first)
        return info.context.loaders.deliveries_by_endpoint_id.load_then(
            (self.endpoint_id, limit),
            lambda found: WebhookDeliveryConnection.from_models(found, limit),
        )
