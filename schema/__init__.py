"""The GraphQL layer: types, inputs and root fields; thin over resolvers/."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.accounts.mutations import ONCE_PER_REQUEST as ACCOUNT_ONCE_PER_REQUEST
from schema.accounts.mutations import AccountMutation
from schema.accounts.queries import AccountQuery
from schema.audit.queries import AuditQuery
from schema.booking.mutations import BookingMutation
from schema.booking.queries import BookingQuery
from schema.catalogue.mutations import CatalogueMutation
from schema.catalogue.queries import CatalogueQuery
from schema.feeds.mutations import FeedsMutation
from schema.live.mutations import LiveMutation
from schema.live.queries import LiveQuery
from schema.live.subscriptions import LiveSubscription
from schema.patients.mutations import PatientsMutation
from schema.patients.queries import PatientsQuery
from schema.platform.errors import ErrorCodes, log_unexpected
from schema.platform.execution import FastPathSchema
from schema.platform.guards import (
    CodedParserCache,
    Limits,
    RecordOperation,
    guard_extensions,
)
from schema.platform.scalars import NaiveTime
from schema.platform.user_errors import (
    AlreadyExists,
    NotAllowed,
    NotFound,
    OtpInvalid,
    RateLimited,
    ValidationFailed,
)
from schema.scheduling.mutations import SchedulingMutation
from schema.scheduling.queries import SchedulingQuery
from schema.waitlist.mutations import WaitlistMutation
from schema.waitlist.queries import WaitlistQuery
from schema.webhooks.mutations import WebhooksMutation
from schema.webhooks.queries import WebhooksQuery

# Each domain contributes its root fields as a class; the roots merge them.
QUERIES: tuple[type, ...] = (
    CatalogueQuery,
    AccountQuery,
    SchedulingQuery,
    BookingQuery,
    LiveQuery,
    AuditQuery,
    WebhooksQuery,
    WaitlistQuery,
    PatientsQuery,
)
MUTATIONS: tuple[type, ...] = (
    AccountMutation,
    CatalogueMutation,
    SchedulingMutation,
    BookingMutation,
    LiveMutation,
    FeedsMutation,
    WebhooksMutation,
    WaitlistMutation,
    PatientsMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (LiveSubscription,)

# Root fields that cost money each time they run: a document may select each once.
ONCE_PER_REQUEST: frozenset[str] = ACCOUNT_ONCE_PER_REQUEST


class MediMythSchema(FastPathSchema):
    """The fast path (schema/platform/execution.py) when ``fast_path`` and verified, else stock."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)


@lru_cache(maxsize=8)
def build_schema(limits: Limits = Limits(), *, fast_path: bool | None = None) -> MediMythSchema:
    """The schema with these limits; cached, so every app with the same limits shares one.

    ``fast_path``: None follows the limits (the GRAPHQL_FAST_PATH setting); False builds
    Strawberry's stock execution; True the fast path, on the verified versions only.
    """
    traced: list[type[SchemaExtension]] = []
    if limits.traced:
        from schema.platform.spans import OperationSpans  # OpenTelemetry only when tracing

        traced.append(OperationSpans)
    return MediMythSchema(
        query=merge_types("Query", QUERIES),
        mutation=merge_types("Mutation", MUTATIONS) if MUTATIONS else None,
        subscription=merge_types("Subscription", SUBSCRIPTIONS),
        fast_path=limits.fast_path if fast_path is None else fast_path,
        without=limits.fast_path_without,
        # Sessions run in the doctor's time zone: a time with an offset is refused as input.
        scalar_overrides={time: NaiveTime},
        # Error types not yet reachable from a root field still belong to the contract.
        types=[AlreadyExists, NotAllowed, NotFound, OtpInvalid, RateLimited, ValidationFailed],
        extensions=[
            # First, so the operation's span holds the other extensions' work too.
            *traced,
            lambda: ErrorCodes(suggestions=limits.introspection),
            RecordOperation,
            # Before the caches: they set the parse options and rules the caches key on.
            *guard_extensions(limits, once_per_request=ONCE_PER_REQUEST),
            # Factories: a fresh extension per request, sharing module-level LRU caches.
            lambda: CodedParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
    )


schema = build_schema()
