"""Trusted proxies: the client address every limit counts is the first untrusted hop."""

from __future__ import annotations

import dataclasses
import ipaddress

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.proxies import Hop, ProxyTrust, parse_address
from db.models import LoginAttempt
from settings import ProxyHeader, Settings
from tests.conftest import GraphQLClient
from tests.hardening.conftest import AppClient
from tests.operations import operation
from tests.proxy_support import PROXY, ClientAt, client_at, through_proxy

__all__ = ["client_at"]

LOGIN = operation("Login")
LOOPBACK = ProxyTrust(networks=(ipaddress.ip_network("127.0.0.1"), ipaddress.ip_network("::1")))


async def recorded_address(gql: GraphQLClient, session: AsyncSession) -> str:
    """Fail one login and return the client address the login limiter recorded for it."""
    body = await gql(LOGIN, {"email": "someone@example.org", "password": "wrong password 1"})
    assert body["data"]["login"]["__typename"] == "InvalidCredentials"
    address = await session.scalar(
        select(LoginAttempt.client_ip).order_by(LoginAttempt.id.desc()).limit(1)
    )
    assert address is not None
    return address


def client(trust: ProxyTrust, peer: str, *headers: tuple[str, str]) -> str | None:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers]
    hop = trust.client((peer, 1234), raw)
    return None if hop.address is None else str(hop.address)


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given: a client reaching the app directly, naming another address
    gql = client_at("203.0.113.9", forwarded_for="198.51.100.1")
    # when
    address = await recorded_address(gql, session)
    # then
    assert address == "203.0.113.9"


async def test_through_a_trusted_proxy_the_client_is_the_address_the_proxy_appended(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given: the client wrote its own header; the proxy appended the address it saw
    gql = client_at(PROXY, forwarded_for="198.51.100.1, 10.9.9.9, 203.0.113.7")
    # when
    address = await recorded_address(gql, session)
    # then
    assert address == "203.0.113.7"


async def test_a_client_on_the_proxys_own_host_cannot_name_another_address(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given: a client on the host, through the proxy, writes its own header first
    gql = client_at(PROXY, forwarded_for="198.51.100.1, 127.0.0.1")
    # when
    address = await recorded_address(gql, session)
    # then
    assert address == PROXY


async def test_a_request_from_the_proxy_itself_is_the_proxy(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given: no forwarded header (a health check, a script on the host)
    gql = client_at(PROXY)
    # when
    address = await recorded_address(gql, session)
    # then
    assert address == PROXY


async def test_an_ipv6_client_counts_as_its_slash_64(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given: two addresses of one subscriber's /64, and one of another's
    same = [through_proxy(client_at, f"2001:db8:1:2::{n}") for n in (5, 6)]
    other = through_proxy(client_at, "[2001:db8:1:3::5]:443")
    # when
    addresses = [await recorded_address(gql, session) for gql in (*same, other)]
    # then
    assert addresses == ["2001:db8:1:2::/64", "2001:db8:1:2::/64", "2001:db8:1:3::/64"]


async def test_two_clients_through_the_proxy_have_separate_budgets(
    client_at: ClientAt, session: AsyncSession
) -> None:
    # given: client A spends its budget for an email
    attacker = through_proxy(client_at, "203.0.113.7")
    answers = [
        (await attacker(LOGIN, {"email": "asha@example.org", "password": f"guess {n} xyz"}))[
            "data"
        ]["login"]["__typename"]
        for n in range(4)
    ]
    assert answers == ["InvalidCredentials"] * 3 + ["RateLimited"]
    # when: client B, through the same proxy, tries the same email
    other = through_proxy(client_at, "198.51.100.20")
    body = await other(LOGIN, {"email": "asha@example.org", "password": "guess 9 xyz"})
    # then: B's try is checked, not refused
    assert body["data"]["login"]["__typename"] == "InvalidCredentials"


async def test_with_no_trusted_proxy_every_forwarded_header_is_ignored(
    make_client: AppClient, settings: Settings, session: AsyncSession
) -> None:
    # given: TRUSTED_PROXIES=none, a request from loopback naming another address
    http: httpx.AsyncClient = make_client(dataclasses.replace(settings, trusted_proxies=()))
    http.headers["X-Forwarded-For"] = "198.51.100.1"
    # when
    address = await recorded_address(GraphQLClient(http), session)
    # then: the ASGI test transport's own peer address
    assert address == "127.0.0.1"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:5555", "203.0.113.7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        # a client on the proxy's own host is that host, whatever it wrote
        ("203.0.113.7 , 127.0.0.1", PROXY),
        ("1.1.1.1,203.0.113.7", "203.0.113.7"),
        # what a trusted proxy could not name counts as that proxy, never as the left side
        ("203.0.113.7, unknown", PROXY),
        ("203.0.113.7, not-an-address", PROXY),
        ("", PROXY),
    ],
)
def test_x_forwarded_for_is_read_from_the_right(header: str, expected: str) -> None:
    # when / then
    assert client(LOOPBACK, PROXY, ("X-Forwarded-For", header)) == expected


def test_repeated_x_forwarded_for_fields_are_one_list_in_order() -> None:
    # when
    found = client(
        LOOPBACK, PROXY, ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "203.0.113.7")
    )
    # then
    assert found == "203.0.113.7"


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop() -> None:
    # given: an edge network and a local proxy, both trusted, up to three proxies deep
    trust = dataclasses.replace(
        LOOPBACK, networks=(*LOOPBACK.networks, ipaddress.ip_network("10.0.0.0/8")), hops=3
    )
    # when
    found = client(trust, PROXY, ("X-Forwarded-For", "9.9.9.9, 203.0.113.7, 10.1.2.3, 10.0.0.4"))
    # then
    assert found == "203.0.113.7"


def test_the_walk_passes_no_more_proxies_than_there_are() -> None:
    # given: two proxies in front of the app
    trust = dataclasses.replace(
        LOOPBACK, networks=(*LOOPBACK.networks, ipaddress.ip_network("10.0.0.0/8")), hops=2
    )
    # when: the client itself sits in a trusted network
    found = client(trust, PROXY, ("X-Forwarded-For", "9.9.9.9, 10.1.2.3, 10.0.0.4"))
    # then: it is the second proxy's client, whatever it wrote
    assert found == "10.1.2.3"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("for=203.0.113.7", "203.0.113.7"),
        ('for="203.0.113.7:4711";proto=https', "203.0.113.7"),
        ('For="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
        ("for=1.1.1.1, for=203.0.113.7;by=127.0.0.1", "203.0.113.7"),
        ('for="1.1.1.1, for=2.2.2.2", for=203.0.113.7', "203.0.113.7"),
        ("for=203.0.113.7, for=_hidden", PROXY),
        ("for=unknown", PROXY),
        ("proto=https", PROXY),
    ],
)
def test_the_forwarded_header_is_read_from_the_right_when_chosen(
    header: str, expected: str
) -> None:
    # given
    trust = dataclasses.replace(LOOPBACK, header=ProxyHeader.FORWARDED)
    # when / then
    assert client(trust, PROXY, ("Forwarded", header)) == expected


def test_only_the_chosen_header_is_read() -> None:
    # given: a proxy that writes X-Forwarded-For passes a client's Forwarded through
    forwarded = dataclasses.replace(LOOPBACK, header=ProxyHeader.FORWARDED)
    headers = (("X-Forwarded-For", "203.0.113.7"), ("Forwarded", "for=198.51.100.1"))
    # when / then
    assert client(LOOPBACK, PROXY, *headers) == "203.0.113.7"
    assert client(forwarded, PROXY, *headers) == "198.51.100.1"


def test_the_scheme_comes_with_the_clients_hop() -> None:
    # when
    hop = LOOPBACK.client(
        (PROXY, 1), [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-proto", b"https")]
    )
    # then
    assert hop == Hop(address=parse_address("203.0.113.7"), port=0, proto="https")
