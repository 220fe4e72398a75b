"""Webhooks' mutation results: an endpoint with its secret shown once, a queued test, a deletion."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.webhooks import endpoints
from schema.platform.results import answers
from schema.platform.user_errors import NotFound, ValidationFailed
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint


@answers(endpoints.EndpointCreated, endpoint=WebhookEndpoint.from_model)
@strawberry.type(description="The endpoint and its signing secret: shown now and never again.")
class WebhookEndpointCreated:
    endpoint: WebhookEndpoint
    secret: str = strawberry.field(
        description="whsec_ and base64: give it to a Standard Webhooks verifier as it is."
    )


@answers(endpoints.WebhookQueued, delivery=WebhookDelivery.from_model)
@strawberry.type(description="A webhook.test delivery is queued; the worker sends it shortly.")
class WebhookQueued:
    delivery: WebhookDelivery


@answers(endpoints.EndpointDeleted)
@strawberry.type
class WebhookEndpointDeleted:
    id: strawberry.ID

    @classmethod
    def from_result(cls, result: endpoints.EndpointDeleted) -> WebhookEndpointDeleted:
        return cls(id=strawberry.ID(str(result.endpoint_id)))


CreateWebhookEndpointResult = Annotated[
    WebhookEndpointCreated | ValidationFailed, strawberry.union("CreateWebhookEndpointResult")
]
RotateWebhookSecretResult = Annotated[
    WebhookEndpointCreated | NotFound, strawberry.union("RotateWebhookSecretResult")
]
SendTestWebhookResult = Annotated[
    WebhookQueued | NotFound, strawberry.union("SendTestWebhookResult")
]
DeleteWebhookEndpointResult = Annotated[
    WebhookEndpointDeleted | NotFound, strawberry.union("DeleteWebhookEndpointResult")
]
