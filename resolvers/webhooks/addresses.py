"""Where an endpoint may point: https, and only public addresses (SSRF safety).

Checked when an endpoint is saved and again before every attempt, after resolving the
host; the attempt then connects to the address that was checked (delivery.py pins it),
so a DNS answer that changes between check and connect cannot redirect a delivery.
Development and tests may use http and loopback, so a receiver on 127.0.0.1 works.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from db.models.webhooks import MAX_URL_LENGTH

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to; injectable so tests resolve without DNS.
Resolve = Callable[[str, int], Awaitable[Sequence[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# Cloud instance metadata services (AWS, GCP, Azure, OpenStack; AWS's IPv6 one).
_METADATA = frozenset(
    ipaddress.ip_address(address) for address in ("169.254.169.254", "fd00:ec2::254")
)


class UnsafeAddress(Exception):
    """The URL may not be called: its message says why, safe to show to its owner."""


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    require_https: bool
    allow_loopback: bool

    @classmethod
    def production(cls) -> AddressPolicy:
        return cls(require_https=True, allow_loopback=False)

    @classmethod
    def development(cls) -> AddressPolicy:
        return cls(require_https=False, allow_loopback=True)

    @classmethod
    def for_loopback(cls, allowed: bool) -> AddressPolicy:
        return cls.development() if allowed else cls.production()


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the address to connect to for it."""

    url: httpx.URL
    address: str


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (the event loop's getaddrinfo, off the loop thread)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def parse_url(raw: str, policy: AddressPolicy) -> httpx.URL:
    """The URL when its shape is acceptable (scheme, host, no credentials), else UnsafeAddress."""
    if len(raw) > MAX_URL_LENGTH:
        raise UnsafeAddress(f"The URL may be at most {MAX_URL_LENGTH} characters.")
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UnsafeAddress("This is not a URL.") from None
    allowed = ("https",) if policy.require_https else ("https", "http")
    if url.scheme not in allowed:
        raise UnsafeAddress("The URL must start with https://.")
    if not url.host:
        raise UnsafeAddress("The URL needs a host name.")
    if url.userinfo:
        raise UnsafeAddress("The URL may not carry a user name or password.")
    return url


def refusal(address: IPAddress, policy: AddressPolicy) -> str | None:
    """Why this address may not be called under the policy; None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if policy.allow_loopback else "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "a carrier-grade NAT (shared) address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a reserved address"  # documentation, benchmarking and other special ranges
    return None


def check_literal(url: httpx.URL, policy: AddressPolicy) -> None:
    """When the host is an IP address itself, refuse it now: no resolution needed."""
    try:
        literal = ipaddress.ip_address(url.host)
    except ValueError:
        return
    if (why := refusal(literal, policy)) is not None:
        raise UnsafeAddress(f"The URL points at {why}.")


async def resolve_target(url: httpx.URL, policy: AddressPolicy, resolve: Resolve) -> Target:
    """Resolve the host and check every address it has; the first is the one to connect to.

    Every address must pass, not just one: otherwise a name with one public and one
    private address would pass the check and could be connected to the private one.
    """
    check_literal(url, policy)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = list(await resolve(url.host, port))
    except (OSError, UnicodeError):
        raise UnsafeAddress(f"The host {url.host} does not resolve.") from None
    if not found:
        raise UnsafeAddress(f"The host {url.host} does not resolve.")
    for text in found:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise UnsafeAddress(f"The host {url.host} resolves to {text!r}.") from None
        if (why := refusal(address, policy)) is not None:
            raise UnsafeAddress(f"The host {url.host} resolves to {why}.")
    return Target(url=url, address=found[0])
