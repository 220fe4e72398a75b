"""Where the links the API hands out point: PUBLIC_BASE_URL, else the request's own origin."""

from __future__ import annotations

from schema.platform.context import Info


def public_base_url(info: Info) -> str:
    """Scheme, host and path prefix for absolute links, without a trailing slash.

    Without PUBLIC_BASE_URL a link points where this request came in, which is right
    for a developer's machine and a single host; behind a proxy that rewrites the
    host, set the setting.
    """
    configured = info.context.settings.public_base_url
    if configured is not None:
        return configured
    base = str(info.context.request.base_url).rstrip("/")
    # A subscription came over a WebSocket (ws://, wss://); its links are web pages.
    if base.startswith(("ws://", "wss://")):
        base = "http" + base[2:]
    return base
