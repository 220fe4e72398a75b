"""Who is calling: the client address of an ASGI request, as every limit counts it."""

from __future__ import annotations

from starlette.types import Scope

from resolvers.platform.addresses import counted_address


def client_address(scope: Scope) -> str:
    """The request's counted address (app/proxies.py has already put the real client in scope)."""
    client = scope.get("client")
    return counted_address(str(client[0]) if client and client[0] else None)
