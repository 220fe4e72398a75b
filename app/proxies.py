"""The client's address behind trusted proxies: the first hop, from the right, not one of them.

Each proxy appends the address it was connected from to ``X-Forwarded-For`` (or a
``for=`` element to RFC 7239 ``Forwarded``). Whatever a client writes there itself sits
to the left of what the proxies append, so the header is read from the right: past
the socket's peer and every entry that is a trusted proxy, at most
``TRUSTED_PROXY_HOPS`` proxies in all, the next address is the client. A peer that is
not trusted is the client itself and its headers are ignored. Only the one header
the proxies are configured to write is read (``TRUSTED_PROXY_HEADER``): a proxy that
writes one passes the other through as the client sent it.

Uvicorn's own proxy-headers support is turned off (app/server.py): it reads
``X-Forwarded-For`` only, and this middleware is the one place the address is decided,
whatever server runs the app. It rewrites the ASGI scope's ``client`` (and ``scheme``),
so ``request.client`` and the request log line show the client.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from settings import Network, ProxyHeader, Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class Hop:
    """One address in a forwarded chain, as a proxy wrote it."""

    address: IPAddress | None  # None: "unknown", an obfuscated name, or not an address
    port: int = 0
    proto: str | None = None


@dataclass(frozen=True, slots=True)
class ProxyTrust:
    networks: tuple[Network, ...]
    header: ProxyHeader = ProxyHeader.X_FORWARDED_FOR
    # How many proxies stand in front of the app, the peer included. Past that many the
    # walk stops, even at a trusted address: behind one proxy on this host, a client on
    # this host too (127.0.0.1, so "trusted") must not have its own header believed.
    hops: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> ProxyTrust:
        return cls(
            networks=settings.trusted_proxies,
            header=settings.trusted_proxy_header,
            hops=settings.trusted_proxy_hops,
        )

    def trusts(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def client(self, peer: tuple[str, int] | None, headers: list[tuple[bytes, bytes]]) -> Hop:
        """Where the request came from: the first untrusted hop, or the peer's own hop."""
        if peer is None:
            current = Hop(address=None)  # a Unix socket: only the host itself can connect
        else:
            current = Hop(address=parse_address(peer[0]), port=peer[1])
            if current.address is None or not self.trusts(current.address):
                return current
        passed = 1  # the peer: a trusted proxy
        for hop in reversed(self._chain(headers)):
            if hop.address is None:
                # A trusted proxy could not name its client: count it as that proxy.
                return current
            current = hop
            if passed >= self.hops or not self.trusts(hop.address):
                return hop
            passed += 1
        return current  # every hop is trusted: a proxy's own request (a health check)

    def _chain(self, headers: list[tuple[bytes, bytes]]) -> list[Hop]:
        if self.header is ProxyHeader.FORWARDED:
            return forwarded_hops(_joined(headers, b"forwarded"))
        proto = _joined(headers, b"x-forwarded-proto").strip().lower()
        hops = [Hop(address=_host(item)[0], port=_host(item)[1]) for item in _items(headers)]
        if hops and proto in _SCHEMES:
            # X-Forwarded-Proto is the edge's scheme: it belongs with the client's hop.
            hops = [Hop(hop.address, hop.port, proto) for hop in hops]
        return hops


def forwarded_hops(value: str) -> list[Hop]:
    """The ``for=`` (and ``proto=``) of each element of an RFC 7239 ``Forwarded`` value.

    Split naively on commas and semicolons: a quoted comma can only come from the
    client, left of every element a proxy appended, so it never shifts those.
    """
    hops = []
    for element in value.split(","):
        fields: dict[str, str] = {}
        for pair in element.split(";"):
            name, _, raw = pair.partition("=")
            fields[name.strip().lower()] = raw.strip().strip('"')
        if "for" not in fields:
            continue
        address, port = _host(fields["for"])
        proto = fields.get("proto", "").lower() or None
        hops.append(Hop(address=address, port=port, proto=proto if proto in _SCHEMES else None))
    return hops


def parse_address(text: str) -> IPAddress | None:
    """An IP address in one spelling per address (IPv4-mapped IPv6 as IPv4), or None."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _host(item: str) -> tuple[IPAddress | None, int]:
    """``1.2.3.4``, ``1.2.3.4:80``, ``[2001:db8::1]:80`` or a bare IPv6 address."""
    item = item.strip()
    host, port = item, ""
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        port = rest.removeprefix(":")
    elif item.count(":") == 1:
        host, _, port = item.partition(":")
    return parse_address(host), int(port) if port.isdigit() and len(port) <= 5 else 0


def _items(headers: list[tuple[bytes, bytes]]) -> list[str]:
    return [item for item in _joined(headers, b"x-forwarded-for").split(",") if item.strip()]


def _joined(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    # Repeated fields are one list in order (RFC 9110 5.3).
    return ",".join(value.decode("latin-1") for key, value in headers if key == name)


class ProxyHeadersMiddleware:
    """Sets the scope's client (and scheme) to the first untrusted hop of the forwarded chain."""

    def __init__(self, app: ASGIApp, *, trust: ProxyTrust) -> None:
        self.app = app
        self.trust = trust

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            hop = self.trust.client(
                (str(peer[0]), int(peer[1])) if peer else None, scope["headers"]
            )
            if hop.address is not None:
                scope["client"] = (str(hop.address), hop.port)
            if hop.proto is not None:
                scheme = hop.proto if scope["type"] == "http" else hop.proto.replace("http", "ws")
                scope["scheme"] = scheme
        await self.app(scope, receive, send)
