"""Who every limit counts as one client, from the address the request came from."""

from __future__ import annotations

import ipaddress

UNKNOWN_ADDRESS = "unknown"


def counted_address(host: str | None) -> str:
    """An IPv4 address as it is, an IPv6 one as its /64 network; "unknown" without one.

    An IPv6 subscriber is handed a whole /64 and may use any address in it, so one
    address per request would be a fresh budget per request. The host is the one
    app/proxies.py settled on (behind trusted proxies, the first untrusted hop).
    """
    if not host:
        return UNKNOWN_ADDRESS  # a Unix socket, or a server that does not say
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
