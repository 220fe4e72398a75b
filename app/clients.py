"""Who is calling: the one place the app reads a request's client address from."""

from __future__ import annotations

from starlette.types import Scope

UNKNOWN_ADDRESS = "unknown"


def client_address(scope: Scope) -> str:
    """The client's IP address as the server saw it (a trusted proxy's forwarded one, when set).

    Uvicorn fills ``scope["client"]`` from the socket, or from X-Forwarded-For when the
    peer is one of FORWARDED_ALLOW_IPS; every per-client rule asks here, so whichever
    way the trusted-proxy rule ends up being decided, it changes in one place.
    """
    client = scope.get("client")
    if not client or not client[0]:
        return UNKNOWN_ADDRESS  # a Unix socket, or a server that does not say
    return str(client[0])
