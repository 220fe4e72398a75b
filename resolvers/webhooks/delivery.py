"""The worker's webhook step: claim due deliveries, sign and POST them, record every attempt.

Rows are claimed with FOR UPDATE SKIP LOCKED, as the notification outbox does, so two
workers never hold the same delivery; a worker killed mid-delivery commits nothing, its
locks die with its connection, and the delivery is sent again with the same
``webhook-id`` (at least once: receivers drop duplicates by that id).
Failures back off exponentially with jitter until the retry window (about a day) is
over, then the delivery is FAILED; an endpoint that failed every attempt for a whole
window is disabled.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import WebhookDeliveryStatus
from db.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from resolvers.platform.clock import Clock, SystemClock
from resolvers.platform.keys import keyring_of
from resolvers.webhooks.addresses import (
    AddressPolicy,
    Resolve,
    Target,
    UnsafeAddress,
    parse_url,
    resolve_target,
    system_resolve,
)
from resolvers.webhooks.secrets import signature_header, unseal
from settings import Settings

BATCH_SIZE = 10
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=4)
# What is read of an answer (then the connection is dropped) and what is kept of it.
RESPONSE_BODY_LIMIT = 4096
STORED_BODY_LIMIT = 1024
USER_AGENT = "MediMyth-Webhooks/1"


@dataclass(frozen=True, slots=True)
class WebhookReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    disabled_endpoints: int = 0

    @property
    def claimed(self) -> int:
        return self.delivered + self.retried + self.failed


@dataclass(frozen=True, slots=True)
class Outcome:
    succeeded: bool
    response_status: int | None
    response_body: str | None
    error: str | None
    duration_ms: int


def retry_delay(attempts: int, rng: random.Random) -> timedelta:
    """After the n-th failure: 30 s doubling each time, at most 4 h, times a jitter of 0.5-1."""
    ceiling = min(FIRST_RETRY * (1 << min(max(attempts - 1, 0), 20)), MAX_RETRY)
    return ceiling * rng.uniform(0.5, 1.0)


class Dispatcher:
    """Signs and POSTs one delivery: checked address, pinned connection, bounded answer."""

    def __init__(
        self,
        *,
        settings: Settings,
        resolve: Resolve = system_resolve,
        signing_clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = AddressPolicy.for_loopback(settings.webhooks_allow_loopback)
        self.keyring = keyring_of(settings)
        self.window = timedelta(hours=settings.webhook_retry_hours)
        self.timeout = float(settings.webhook_timeout_seconds)
        self.resolve = resolve
        # webhook-timestamp is when the attempt leaves (receivers refuse stale ones), so it
        # is read from a real clock even when the worker's schedule runs on a fixed one.
        self.signing_clock = signing_clock or SystemClock()
        self.rng = rng or random.SystemRandom()
        # No proxies from the environment (they would defeat the pinned address), no
        # redirects (a 3xx is a failure), short timeouts, and no kept-alive connections:
        # the pool is keyed by the pinned address, so a kept TLS connection verified for
        # one host name could otherwise carry a request for another name on that address.
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout, connect=min(5.0, self.timeout)),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def close(self) -> None:
        await self.client.aclose()

    def headers(
        self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, *, now: datetime
    ) -> dict[str, str]:
        """The Standard Webhooks headers; during a rotation's grace both secrets sign."""
        secrets = [unseal(endpoint.secret, keyring=self.keyring)]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret is not None and expires is not None and now < expires:
            secrets.append(unseal(endpoint.previous_secret, keyring=self.keyring))
        signed_at = self.signing_clock.now().astimezone(UTC)
        return {
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": signature_header(
                message_id=delivery.message_id,
                timestamp=signed_at,
                body=delivery.body,
                secrets=secrets,
            ),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            # Raw bytes are counted against the limit: no compressed answer to inflate.
            "accept-encoding": "identity",
        }

    async def attempt(
        self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, *, now: datetime
    ) -> Outcome:
        started = time.perf_counter()
        status: int | None = None
        body: str | None = None
        error: str | None = None
        try:
            target = await resolve_target(
                parse_url(endpoint.url, self.policy), self.policy, self.resolve
            )
            headers = self.headers(delivery, endpoint, now=now)
            async with asyncio.timeout(self.timeout):
                status, body = await self._post(target, headers, delivery.body)
        except UnsafeAddress as refused:
            error = f"refused: {refused}"
        except TimeoutError:
            error = "timed out"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        succeeded = status is not None and 200 <= status < 300
        if status is not None and not succeeded:
            error = f"answered HTTP {status}"
        return Outcome(
            succeeded=succeeded,
            response_status=status,
            response_body=body,
            error=None if succeeded else error,
            duration_ms=max(0, round((time.perf_counter() - started) * 1000)),
        )

    async def _post(self, target: Target, headers: dict[str, str], body: str) -> tuple[int, str]:
        """POST to the checked address, naming the host in Host and TLS SNI (and checking
        its certificate against that name), and read at most RESPONSE_BODY_LIMIT bytes."""
        url = target.url
        headers = headers | {"host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        pinned = url.copy_with(host=target.address)
        async with self.client.stream(
            "POST", pinned, content=body.encode(), headers=headers, extensions=extensions
        ) as response:
            received = bytearray()
            async for chunk in response.aiter_raw():
                received += chunk
                if len(received) >= RESPONSE_BODY_LIMIT:
                    break  # the rest is never read: leaving the block closes the connection
            text = bytes(received[:STORED_BODY_LIMIT]).decode("utf-8", "replace")
            return response.status_code, text


async def deliver_due_webhooks(
    *, session: AsyncSession, dispatcher: Dispatcher, now: datetime, batch_size: int = BATCH_SIZE
) -> WebhookReport:
    """Attempt up to batch_size due deliveries of enabled endpoints and commit the outcomes."""
    claimed = (
        await session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.enabled,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch_size)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    ).all()
    delivered = retried = failed = 0
    succeeded_for: set[int] = set()
    failed_for: set[int] = set()
    for delivery, endpoint in claimed:
        outcome = await dispatcher.attempt(delivery, endpoint, now=now)
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                succeeded=outcome.succeeded,
                response_status=outcome.response_status,
                duration_ms=outcome.duration_ms,
                response_body=outcome.response_body,
                error=outcome.error,
                attempted_at=now,
            )
        )
        delivery.attempts += 1
        delivery.last_response_status = outcome.response_status
        if outcome.succeeded:
            delivery.status = WebhookDeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivered += 1
            succeeded_for.add(endpoint.id)
            continue
        failed_for.add(endpoint.id)
        next_at = now + retry_delay(delivery.attempts, dispatcher.rng)
        if next_at > delivery.created_at + dispatcher.window:
            delivery.status = WebhookDeliveryStatus.FAILED
            failed += 1
        else:
            delivery.next_attempt_at = next_at
            retried += 1
    await session.flush()
    disabled = await _update_endpoints(
        session,
        succeeded=succeeded_for,
        failed=failed_for - succeeded_for,
        now=now,
        window=dispatcher.window,
    )
    await session.commit()
    return WebhookReport(
        delivered=delivered, retried=retried, failed=failed, disabled_endpoints=disabled
    )


async def _update_endpoints(
    session: AsyncSession,
    *,
    succeeded: set[int],
    failed: set[int],
    now: datetime,
    window: timedelta,
) -> int:
    """Track each endpoint's run of failures; disable one that failed everything for a window.

    Plain UPDATEs in endpoint id order, so concurrent workers lock endpoints in one order.
    """
    disabled = 0
    for endpoint_id in sorted(succeeded | failed):
        if endpoint_id in succeeded:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id)
                .values(failing_since=None)
                .execution_options(synchronize_session=False)
            )
            continue
        was_disabled = await session.scalar(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(
                failing_since=func.coalesce(WebhookEndpoint.failing_since, now),
                enabled=WebhookEndpoint.enabled
                & ~func.coalesce(WebhookEndpoint.failing_since <= now - window, False),
            )
            .returning(~WebhookEndpoint.enabled)
            .execution_options(synchronize_session=False)
        )
        if was_disabled:
            disabled += 1
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.disabled_at.is_(None))
                .values(disabled_at=now)
                .execution_options(synchronize_session=False)
            )
            # Nothing more is tried for it: its waiting deliveries end as FAILED. Rows another
            # worker holds are skipped (waiting for them could deadlock on the endpoint row);
            # they stay PENDING, unclaimed while disabled, and resume if it is enabled again.
            waiting = (
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.endpoint_id == endpoint_id,
                    WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
                )
                .with_for_update(skip_locked=True)
                .scalar_subquery()
            )
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(waiting))
                .values(status=WebhookDeliveryStatus.FAILED)
                .execution_options(synchronize_session=False)
            )
    return disabled
