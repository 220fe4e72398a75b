"""SSRF safety: in production only https to public addresses, on save and again at delivery.

No traffic leaves the machine: hosts are literal addresses or `localhost`, or names
looked up by a resolver the test hands in (the injection point the worker has).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from db.enums import WebhookDeliveryStatus, WebhookEvent
from db.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from db.session import Database
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import keyring_of
from resolvers.webhooks.addresses import (
    AddressPolicy,
    Resolve,
    UnsafeAddress,
    parse_url,
    resolve_target,
)
from resolvers.webhooks.delivery import Dispatcher, deliver_due_webhooks
from resolvers.webhooks.secrets import new_secret, seal
from settings import Environment, Settings
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.factories import make_admin
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import CREATE, SEND_TEST

PRODUCTION = AddressPolicy.production()
# One address of each class production refuses, and what the refusal calls it.
REFUSED = [
    ("127.0.0.1", "a loopback address"),
    ("127.8.9.10", "a loopback address"),
    ("::1", "a loopback address"),
    ("10.0.0.7", "a private address"),
    ("172.16.5.4", "a private address"),
    ("192.168.1.20", "a private address"),
    ("fc00::1", "a private address"),
    ("169.254.10.1", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("100.64.0.1", "a carrier-grade NAT (shared) address"),
    ("100.127.255.254", "a carrier-grade NAT (shared) address"),
    ("169.254.169.254", "a cloud metadata address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("0.0.0.0", "an unspecified address"),
    ("::", "an unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("::ffff:10.0.0.1", "a private address"),
    ("::ffff:127.0.0.1", "a loopback address"),
]
PUBLIC = "93.184.215.14"


def resolver(table: dict[str, Sequence[str]]) -> Resolve:
    """A resolver answering from a table, as DNS would for these names."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"{host} does not resolve")
        return table[host]

    return resolve


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address


@pytest.fixture
def production_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, environment=Environment.PRODUCTION, secret_key="p" * 40)


@pytest.fixture
async def production_gql(
    production_settings: Settings, clock: FixedClock, database: Database
) -> AsyncIterator[GraphQLClient]:

    app = create_app(production_settings, clock=clock, database=database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        yield GraphQLClient(client)


@pytest.mark.parametrize(("address", "why"), REFUSED)
async def test_a_name_resolving_to_a_refused_class_is_refused(address: str, why: str) -> None:
    # given a name that resolves to the address
    url = parse_url("https://hooks.clinic.test/medimyth", PRODUCTION)
    # when it is checked for production
    with pytest.raises(UnsafeAddress) as refused:
        await resolve_target(url, PRODUCTION, resolver({"hooks.clinic.test": [address]}))
    # then it is refused, naming the class
    assert str(refused.value) == f"The host hooks.clinic.test resolves to {why}."


async def test_a_public_name_passes_unless_any_of_its_addresses_is_refused() -> None:
    # given a name with only public addresses, and one with a private address among them
    url = parse_url("https://hooks.clinic.test/medimyth", PRODUCTION)
    mixed = parse_url("https://mixed.clinic.test/medimyth", PRODUCTION)
    table = resolver({"hooks.clinic.test": [PUBLIC], "mixed.clinic.test": [PUBLIC, "10.0.0.1"]})
    # when each is checked
    target = await resolve_target(url, PRODUCTION, table)
    with pytest.raises(UnsafeAddress):
        await resolve_target(mixed, PRODUCTION, table)
    # then the public one is to be reached at its checked address
    assert target.address == PUBLIC


@pytest.mark.parametrize(("address", "why"), REFUSED)
async def test_a_production_server_refuses_to_save_a_refused_address(
    production_gql: GraphQLClient,
    session: AsyncSession,
    production_settings: Settings,
    clock: FixedClock,
    address: str,
    why: str,
) -> None:
    # given an admin of a production server
    admin = await make_admin(session)
    await session.commit()
    token = token_for(admin, settings=production_settings, clock=clock)
    url = f"https://{_bracketed(address)}/hooks"
    # when they register an endpoint at the address
    body = await production_gql(
        CREATE, {"input": {"url": url, "events": ["APPOINTMENT_BOOKED"]}}, token=token
    )
    # then it is refused on the url field
    answer = body["data"]["createWebhookEndpoint"]
    assert answer["__typename"] == "ValidationFailed"
    assert answer["errors"][0]["field"] == "url"
    assert why in answer["errors"][0]["message"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://localhost/hooks", "The host localhost resolves to a loopback address."),
        (f"http://{PUBLIC}/hooks", "The URL must start with https://."),
    ],
)
async def test_production_refuses_localhost_by_resolution_and_plain_http(
    production_gql: GraphQLClient,
    session: AsyncSession,
    production_settings: Settings,
    clock: FixedClock,
    url: str,
    message: str,
) -> None:
    # given an admin of a production server
    admin = await make_admin(session)
    await session.commit()
    token = token_for(admin, settings=production_settings, clock=clock)
    # when they register the URL
    body = await production_gql(
        CREATE, {"input": {"url": url, "events": ["APPOINTMENT_BOOKED"]}}, token=token
    )
    # then the refusal says why
    answer = body["data"]["createWebhookEndpoint"]
    assert answer["__typename"] == "ValidationFailed"
    assert answer["errors"][0]["message"] == message


async def test_a_dns_change_after_saving_cannot_redirect_a_delivery(
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    production_settings: Settings,
    clock: FixedClock,
) -> None:
    # given an endpoint saved when its name was public, which now resolves to loopback
    session.add(
        WebhookEndpoint(
            url="https://hooks.clinic.test/medimyth",
            events=["APPOINTMENT_BOOKED"],
            enabled=True,
            secret=seal(new_secret(), keyring=keyring_of(production_settings)),
            created_at=clock.now(),
        )
    )
    await session.flush()
    session.add(
        WebhookDelivery(
            endpoint_id=1,
            message_id="msg_rebound",
            event=WebhookEvent.APPOINTMENT_BOOKED,
            body="{}",
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )
    )
    await session.commit()
    dispatcher = Dispatcher(
        settings=production_settings, resolve=resolver({"hooks.clinic.test": ["127.0.0.1"]})
    )
    # when the production worker tries to deliver
    try:
        async with database.session() as worker:
            report = await deliver_due_webhooks(
                session=worker, dispatcher=dispatcher, now=clock.now()
            )
    finally:
        await dispatcher.close()
    # then no request was made, and the refusal is on record as a failed attempt
    attempt = await session.scalar(select(WebhookAttempt))
    assert report.retried == 1
    assert receiver.received == []
    assert attempt is not None
    assert attempt.response_status is None
    assert attempt.error == "refused: The host hooks.clinic.test resolves to a loopback address."
    status = await session.scalar(select(WebhookDelivery.status))
    assert status is WebhookDeliveryStatus.PENDING


async def test_the_connection_goes_to_the_checked_address_under_the_saved_name(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    receiver: Receiver,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given (in development) an endpoint at a name only the worker's resolver knows
    admin = await make_admin(session)
    await session.commit()
    token = token_for(admin, settings=settings, clock=clock)
    port = httpx.URL(receiver.url).port
    url = f"http://receiver.clinic.test:{port}/hooks/medimyth"
    created = (
        await gql(CREATE, {"input": {"url": url, "events": ["APPOINTMENT_BOOKED"]}}, token=token)
    )["data"]["createWebhookEndpoint"]
    receiver.secrets.append(created["secret"])
    await gql(SEND_TEST, {"id": created["endpoint"]["id"]}, token=token)
    dispatcher = Dispatcher(
        settings=settings, resolve=resolver({"receiver.clinic.test": ["127.0.0.1"]})
    )
    # when the worker delivers
    try:
        async with database.session() as worker:
            report = await deliver_due_webhooks(
                session=worker, dispatcher=dispatcher, now=clock.now()
            )
    finally:
        await dispatcher.close()
    # then it connected to the resolved address (nothing else could reach this receiver),
    # naming the host as saved
    assert report.delivered == 1
    [received] = receiver.received
    assert received.verified
    assert received.headers["host"] == f"receiver.clinic.test:{port}"
