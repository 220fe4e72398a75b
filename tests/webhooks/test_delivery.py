"""Delivery to a real receiver: signed per Standard Webhooks, retried with backoff, then FAILED."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, WebhookDeliveryStatus
from db.models import Account, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from db.session import Database
from resolvers.platform.clock import FixedClock
from resolvers.webhooks.delivery import FIRST_RETRY, STORED_BODY_LIMIT, Dispatcher
from settings import Settings
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.factories import make_admin
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import ENDPOINTS, ROTATE, SEND_TEST, deliver, register

HISTORY = """
query History {
  webhookEndpoints {
    enabled
    deliveries(first: 5) {
      pageInfo { hasNextPage }
      edges { node { messageId status attempts lastResponseStatus nextAttemptAt
        history { succeeded responseStatus responseBody error durationMs } } }
    }
  }
}
"""


async def _admin_with_endpoint(
    gql: GraphQLClient,
    session: AsyncSession,
    receiver: Receiver,
    *,
    settings: Settings,
    clock: FixedClock,
) -> tuple[str, str]:
    admin = await make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)
    created = await register(gql, token, receiver.url, receiver=receiver)
    return token, created["endpoint"]["id"]


async def _fresh_token(session: AsyncSession, *, settings: Settings, clock: FixedClock) -> str:
    """The admin's token at the clock's time (tokens last hours; these tests run for days)."""
    admin = await session.scalar(select(Account).where(Account.role == AccountRole.ADMIN))
    assert admin is not None
    return token_for(admin, settings=settings, clock=clock)


async def test_a_delivery_is_signed_and_shaped_as_standard_webhooks_say(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    dispatcher: Dispatcher,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given an admin's endpoint and a test event queued for it
    token, endpoint_id = await _admin_with_endpoint(
        gql, session, receiver, settings=settings, clock=clock
    )
    queued = (await gql(SEND_TEST, {"id": endpoint_id}, token=token))["data"]["sendTestWebhook"]
    # when the worker runs
    report = await deliver(database, dispatcher, clock)
    # then the receiver verified it with the standardwebhooks verifier
    assert queued["__typename"] == "WebhookQueued"
    assert report.delivered == 1
    [received] = receiver.received
    assert received.verified
    assert received.path == "/hooks/medimyth"
    assert received.headers["webhook-id"].startswith("msg_")
    assert received.headers["content-type"] == "application/json"
    assert received.payload == {
        "type": "webhook.test",
        "timestamp": "2026-12-01T03:30:00Z",
        "data": {"endpointId": endpoint_id, "message": "A test delivery from MediMyth."},
    }
    # and the admin sees it delivered, with the attempt on record
    listed = (await gql(ENDPOINTS, token=token))["data"]["webhookEndpoints"]
    [node] = [edge["node"] for edge in listed[0]["deliveries"]["edges"]]
    assert node | {"id": "", "createdAt": ""} == {
        "id": "",
        "event": "WEBHOOK_TEST",
        "status": "DELIVERED",
        "attempts": 1,
        "lastResponseStatus": 204,
        "createdAt": "",
        "deliveredAt": "2026-12-01T03:30:00+00:00",
    }


async def test_failed_attempts_are_retried_with_growing_delays_until_one_succeeds(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    dispatcher: Dispatcher,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a receiver that fails twice on purpose, then answers 204
    token, endpoint_id = await _admin_with_endpoint(
        gql, session, receiver, settings=settings, clock=clock
    )
    receiver.script.extend([500, 503])
    await gql(SEND_TEST, {"id": endpoint_id}, token=token)
    # when the worker runs, and runs again whenever the delivery is due
    reports = [await deliver(database, dispatcher, clock)]
    delays = []
    for _ in range(2):
        waiting = await session.scalar(select(WebhookDelivery.next_attempt_at))
        assert waiting is not None
        delays.append(waiting - clock.now())
        clock.advance(delays[-1] - timedelta(seconds=1))
        early = await deliver(database, dispatcher, clock)  # not due yet: nothing is sent
        assert early.claimed == 0
        clock.advance(timedelta(seconds=1))
        reports.append(await deliver(database, dispatcher, clock))
        session.expire_all()
    # then the same message (same webhook-id, same body) came three times, each verified
    assert [(r.retried, r.delivered) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    assert [item.answered for item in receiver.received] == [500, 503, 204]
    assert all(item.verified for item in receiver.received)
    assert len(receiver.unique_ids()) == 1
    assert len({item.body for item in receiver.received}) == 1
    # and the delays grew exponentially, each jittered within half to all of its ceiling
    assert FIRST_RETRY / 2 <= delays[0] <= FIRST_RETRY
    assert FIRST_RETRY <= delays[1] <= FIRST_RETRY * 2
    # and every attempt is on record and visible to the admin
    listed = (await gql(HISTORY, token=token))["data"]["webhookEndpoints"][0]
    [node] = [edge["node"] for edge in listed["deliveries"]["edges"]]
    assert node["status"] == "DELIVERED"
    assert node["attempts"] == 3
    assert node["nextAttemptAt"] is None
    assert [(h["succeeded"], h["responseStatus"], h["error"]) for h in node["history"]] == [
        (False, 500, "answered HTTP 500"),
        (False, 503, "answered HTTP 503"),
        (True, 204, None),
    ]
    assert [h["responseBody"] for h in node["history"]] == ["no", "no", ""]  # 204: no body


async def test_a_delivery_failing_for_a_day_is_failed_and_then_the_endpoint_disabled(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    dispatcher: Dispatcher,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a receiver that never answers 2xx
    token, endpoint_id = await _admin_with_endpoint(
        gql, session, receiver, settings=settings, clock=clock
    )
    receiver.default_status = 500
    start = clock.now()
    await gql(SEND_TEST, {"id": endpoint_id}, token=token)
    # when the worker runs whenever a delivery is due, until none is left
    second_queued = False
    while (
        due := await session.scalar(
            select(func.min(WebhookDelivery.next_attempt_at)).where(
                WebhookDelivery.status == WebhookDeliveryStatus.PENDING
            )
        )
    ) is not None:
        clock.set(max(clock.now(), due))
        if not second_queued and clock.now() >= start + timedelta(hours=20):
            # a second event, late in the first one's day, keeps the endpoint failing
            token = await _fresh_token(session, settings=settings, clock=clock)
            await gql(SEND_TEST, {"id": endpoint_id}, token=token)
            second_queued = True
        await deliver(database, dispatcher, clock)
    # then the first delivery ended FAILED within its day, after several attempts
    rows = (
        await session.execute(
            select(WebhookDelivery.status, WebhookDelivery.attempts).order_by(WebhookDelivery.id)
        )
    ).all()
    attempts = (await session.scalars(select(WebhookAttempt.attempted_at))).all()
    endpoint = await session.scalar(select(WebhookEndpoint))
    assert endpoint is not None
    first_status, first_attempts = rows[0]
    assert first_status is WebhookDeliveryStatus.FAILED
    assert first_attempts >= 10
    assert max(attempts) - start > timedelta(hours=24)
    # and once the endpoint had failed everything for a day it was disabled, its rest FAILED
    assert not endpoint.enabled
    assert endpoint.disabled_at is not None
    assert endpoint.disabled_at - start >= timedelta(hours=24)
    assert [status for status, _ in rows] == [WebhookDeliveryStatus.FAILED] * 2
    assert len(receiver.received) == len(attempts)


async def test_a_disabled_endpoint_gets_nothing_until_a_test_enables_it_again(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    dispatcher: Dispatcher,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a disabled endpoint with a delivery waiting
    token, endpoint_id = await _admin_with_endpoint(
        gql, session, receiver, settings=settings, clock=clock
    )
    await gql(SEND_TEST, {"id": endpoint_id}, token=token)
    endpoint = await session.scalar(select(WebhookEndpoint))
    assert endpoint is not None
    endpoint.enabled = False
    endpoint.disabled_at = clock.now()
    await session.commit()
    # when the worker runs, then a test is sent, then the worker runs again
    skipped = await deliver(database, dispatcher, clock)
    await gql(SEND_TEST, {"id": endpoint_id}, token=token)
    resumed = await deliver(database, dispatcher, clock)
    listed = (await gql(ENDPOINTS, token=token))["data"]["webhookEndpoints"][0]
    # then nothing went out while disabled; the test enabled it and both went out
    assert skipped.claimed == 0
    assert resumed.delivered == 2
    assert listed["enabled"] is True
    assert len(receiver.unique_ids()) == 2


async def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    dispatcher: Dispatcher,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given an endpoint whose secret is rotated
    token, endpoint_id = await _admin_with_endpoint(
        gql, session, receiver, settings=settings, clock=clock
    )
    [old_secret] = receiver.secrets
    rotated = (await gql(ROTATE, {"id": endpoint_id}, token=token))["data"]["rotateWebhookSecret"]
    new_secret = rotated["secret"]
    # when a delivery goes out at once, and another after the grace period
    await gql(SEND_TEST, {"id": endpoint_id}, token=token)
    await deliver(database, dispatcher, clock)
    clock.advance(timedelta(hours=settings.webhook_secret_grace_hours, seconds=1))
    token = await _fresh_token(session, settings=settings, clock=clock)
    await gql(SEND_TEST, {"id": endpoint_id}, token=token)
    await deliver(database, dispatcher, clock)
    # then the first carries two signatures: a receiver with either secret accepts it
    during, after = receiver.received
    assert rotated["__typename"] == "WebhookEndpointCreated"
    assert new_secret != old_secret
    assert len(during.signatures) == 2
    assert all(signature.startswith("v1,") for signature in during.signatures)
    assert Receiver(secrets=[old_secret]).verifies(during.body, during.headers)
    assert Receiver(secrets=[new_secret]).verifies(during.body, during.headers)
    # and afterwards only the new secret signs
    assert len(after.signatures) == 1
    assert Receiver(secrets=[new_secret]).verifies(after.body, after.headers)
    assert not Receiver(secrets=[old_secret]).verifies(after.body, after.headers)


async def test_redirects_are_not_followed_and_long_answers_are_cut(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    dispatcher: Dispatcher,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a receiver that redirects with a very long body, then answers at length
    token, endpoint_id = await _admin_with_endpoint(
        gql, session, receiver, settings=settings, clock=clock
    )
    receiver.script.extend([302, 200])
    receiver.reply = b"x" * 100_000
    await gql(SEND_TEST, {"id": endpoint_id}, token=token)
    # when the worker tries twice
    first = await deliver(database, dispatcher, clock)
    clock.advance(FIRST_RETRY)
    second = await deliver(database, dispatcher, clock)
    # then the 302 was a failure, not followed; the long answers were stored cut short
    assert (first.retried, second.delivered) == (1, 1)
    assert [item.answered for item in receiver.received] == [302, 200]
    bodies = (await session.scalars(select(WebhookAttempt.response_body))).all()
    assert [len(body or "") for body in bodies] == [STORED_BODY_LIMIT, STORED_BODY_LIMIT]
