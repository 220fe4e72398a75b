"""Registering, listing, testing, rotating and deleting webhook endpoints.

An admin's endpoint hears every event; a doctor's only the events of their own
schedules, and a doctor sees and manages only their own endpoints (admins see all).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, AuditAction, AuditTargetKind, WebhookDeliveryStatus, WebhookEvent
from db.models import Account, WebhookDelivery, WebhookEndpoint
from db.models.webhooks import MAX_DESCRIPTION_LENGTH
from resolvers.audit.trail import record
from resolvers.platform.audit import Actor
from resolvers.platform.errors import FieldProblem, NotFound, Problems, ValidationFailed
from resolvers.platform.keys import Keyring
from resolvers.platform.outbox import webhook_body
from resolvers.platform.text import clean_text
from resolvers.webhooks.addresses import (
    AddressPolicy,
    Resolve,
    UnsafeAddress,
    check_literal,
    parse_url,
    resolve_target,
)
from resolvers.webhooks.secrets import new_secret, seal

MAX_ENDPOINTS_PER_OWNER = 20
# Events only an admin's endpoint may hear: they are not about one doctor's schedules.
ADMIN_ONLY_EVENTS = frozenset({WebhookEvent.DOCTOR_ACTIVATED})
_NO_SUCH_ENDPOINT = NotFound("There is no webhook endpoint with this id.")


@dataclass(frozen=True, slots=True)
class EndpointCreated:
    """A new endpoint, or one with a new secret: the secret is shown this once."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True, slots=True)
class EndpointDeleted:
    endpoint_id: int


@dataclass(frozen=True, slots=True)
class WebhookQueued:
    delivery: WebhookDelivery


def _visible_to(viewer: Account) -> Any:
    """Admins see every endpoint; a doctor their own."""
    if viewer.role is AccountRole.ADMIN:
        return WebhookEndpoint.id.is_not(None)
    return WebhookEndpoint.doctor_id == viewer.id


async def list_endpoints(*, session: AsyncSession, viewer: Account) -> list[WebhookEndpoint]:
    found = await session.scalars(
        select(WebhookEndpoint).where(_visible_to(viewer)).order_by(WebhookEndpoint.id)
    )
    return list(found.all())


async def _problems(
    *,
    session: AsyncSession,
    owner: Account,
    url: str,
    description: str | None,
    events: Sequence[WebhookEvent],
    policy: AddressPolicy,
    resolve: Resolve | None,
) -> ValidationFailed | None:
    problems = Problems()
    try:
        parsed = parse_url(url, policy)
        # Production resolves the name now (and again at every delivery); development
        # checks literal addresses only, so saving never waits on DNS.
        if resolve is None:
            check_literal(parsed, policy)
        else:
            await resolve_target(parsed, policy, resolve)
    except UnsafeAddress as refused:
        problems.add("url", FieldProblem.INVALID_FORMAT, str(refused))
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        problems.add(
            "description",
            FieldProblem.TOO_LONG,
            f"The description may be at most {MAX_DESCRIPTION_LENGTH} characters.",
        )
    if not events:
        problems.add("events", FieldProblem.REQUIRED, "Choose at least one event.")
    elif WebhookEvent.WEBHOOK_TEST in events:
        problems.add("events", FieldProblem.INVALID_CHOICE, "Test deliveries need no subscription.")
    elif owner.role is not AccountRole.ADMIN and ADMIN_ONLY_EVENTS & set(events):
        problems.add(
            "events", FieldProblem.INVALID_CHOICE, "Only admins' endpoints hear DOCTOR_ACTIVATED."
        )
    owned = await session.scalar(
        select(WebhookEndpoint.id).where(_visible_to(owner)).offset(MAX_ENDPOINTS_PER_OWNER - 1)
    )
    if owned is not None:
        problems.add(
            "url",
            FieldProblem.OUT_OF_RANGE,
            f"At most {MAX_ENDPOINTS_PER_OWNER} endpoints; delete one first.",
        )
    return problems.result()


async def create_endpoint(
    *,
    session: AsyncSession,
    owner: Account,
    url: str,
    description: str | None,
    events: Sequence[WebhookEvent],
    policy: AddressPolicy,
    resolve: Resolve | None,
    keyring: Keyring,
    now: datetime,
    actor: Actor,
) -> EndpointCreated | ValidationFailed:
    """Save an endpoint with a fresh secret (returned once). Commits."""
    description = clean_text(description)
    refused = await _problems(
        session=session,
        owner=owner,
        url=url,
        description=description,
        events=events,
        policy=policy,
        resolve=resolve,
    )
    if refused is not None:
        await session.commit()
        return refused
    secret = new_secret()
    endpoint = WebhookEndpoint(
        doctor_id=None if owner.role is AccountRole.ADMIN else owner.id,
        url=url.strip(),
        description=description,
        # The catalogue's order, each once, whatever order the client sent.
        events=[event.value for event in WebhookEvent if event in set(events)],
        enabled=True,
        secret=seal(secret, keyring=keyring),
        created_at=now,
    )
    session.add(endpoint)
    await session.flush()  # the id, for the audit trail
    _audit(session, actor, AuditAction.WEBHOOK_ENDPOINT_CREATED, endpoint, now=now)
    await session.commit()
    return EndpointCreated(endpoint=endpoint, secret=secret)


def _audit(
    session: AsyncSession,
    actor: Actor,
    action: AuditAction,
    endpoint: WebhookEndpoint,
    *,
    now: datetime,
) -> None:
    # The host only: a URL's path or query may carry a receiver's own token.
    host = urlsplit(endpoint.url).hostname
    details = {"host": host, "allDoctors": endpoint.doctor_id is None}
    record(
        session,
        actor=actor,
        action=action,
        now=now,
        target_kind=AuditTargetKind.WEBHOOK,
        target_id=endpoint.id,
        details=details,
    )


async def _visible_endpoint(
    session: AsyncSession, viewer: Account, endpoint_id: int
) -> WebhookEndpoint | None:
    """The viewer's endpoint, locked for the change; on a miss the transaction is ended."""
    found = await session.scalar(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, _visible_to(viewer))
        .with_for_update()
    )
    if found is None:
        await session.commit()
    return found


async def rotate_secret(
    *,
    session: AsyncSession,
    viewer: Account,
    endpoint_id: int,
    keyring: Keyring,
    grace: timedelta,
    now: datetime,
    actor: Actor,
) -> EndpointCreated | NotFound:
    """A new secret (returned once); the old one keeps signing, second, for the grace period."""
    endpoint = await _visible_endpoint(session, viewer, endpoint_id)
    if endpoint is None:
        return _NO_SUCH_ENDPOINT
    secret = new_secret()
    if grace > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + grace
    else:
        endpoint.previous_secret = endpoint.previous_secret_expires_at = None
    endpoint.secret = seal(secret, keyring=keyring)
    _audit(session, actor, AuditAction.WEBHOOK_SECRET_ROTATED, endpoint, now=now)
    await session.commit()
    return EndpointCreated(endpoint=endpoint, secret=secret)


async def delete_endpoint(
    *, session: AsyncSession, viewer: Account, endpoint_id: int, now: datetime, actor: Actor
) -> EndpointDeleted | NotFound:
    """Remove the endpoint with its deliveries and their history. Commits."""
    endpoint = await _visible_endpoint(session, viewer, endpoint_id)
    if endpoint is None:
        return _NO_SUCH_ENDPOINT
    _audit(session, actor, AuditAction.WEBHOOK_ENDPOINT_DELETED, endpoint, now=now)
    await session.delete(endpoint)
    await session.commit()
    return EndpointDeleted(endpoint_id=endpoint_id)


async def send_test(
    *, session: AsyncSession, viewer: Account, endpoint_id: int, now: datetime
) -> WebhookQueued | NotFound:
    """Queue a webhook.test delivery; a disabled endpoint is enabled again by it. Commits."""
    endpoint = await _visible_endpoint(session, viewer, endpoint_id)
    if endpoint is None:
        return _NO_SUCH_ENDPOINT
    if not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_at = endpoint.failing_since = None
    data = {"endpointId": str(endpoint.id), "message": "A test delivery from MediMyth."}
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id=f"msg_{uuid.uuid4().hex}",
        event=WebhookEvent.WEBHOOK_TEST,
        body=webhook_body(WebhookEvent.WEBHOOK_TEST, data, now=now),
        status=WebhookDeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    await session.commit()
    return WebhookQueued(delivery=delivery)
