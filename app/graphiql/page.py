"""The GraphiQL HTML page and the Content-Security-Policy it is served with."""

from __future__ import annotations

import re
import secrets
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from app.graphiql.assets import load_bundle

ASSETS_PATH = "/static/graphiql"

# A Host header as a browser sends it: a name or IPv4 address, or a bracketed IPv6
# address, and an optional port. Anything else (spaces, ";", quotes) could add a
# directive to the policy, so it gets no explicit WebSocket source at all.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def websocket_origin(request: Request) -> str | None:
    """This page's origin with ws: or wss: (GraphiQL's subscriptions), or None if unsafe."""
    host = request.headers.get("host", "")
    if not _HOST.fullmatch(host):
        return None
    # The scheme is the client's (app/proxies.py rewrites it behind trusted proxies).
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return f"{scheme}://{host}"


def content_security_policy(style_nonce: str, websocket: str | None) -> str:
    """Nothing from other origins, no inline script, no eval.

    Styles: the bundle's stylesheet, plus <style> elements carrying this
    request's nonce, which Radix adds while a dialog or menu is open (to lock
    scrolling). A nonce keeps that working without 'unsafe-inline'. Inline
    style *attributes* stay forbidden; React and CodeMirror set styles through
    the CSSOM, which CSP does not restrict. Fonts and a few icons are data: URLs
    inside the stylesheet; the favicon is an empty data: URL.

    Connections: this origin, and this origin's WebSocket URL for subscriptions,
    named explicitly because 'self' matches ws:/wss: only in CSP Level 3 browsers.
    """
    connect = "connect-src 'self'" + (f" {websocket}" if websocket else "")
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{style_nonce}'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            connect,
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def render(request: Request) -> HTMLResponse:
    """The page: hashed same-origin assets with SRI, and the tabs' operations to fetch."""
    bundle = load_bundle()
    prefix = request.scope.get("root_path", "") + ASSETS_PATH
    nonce = secrets.token_urlsafe(18)
    endpoint = request.url.path  # the page is served where the API answers

    def attr(value: str) -> str:
        return escape(value, quote=True)

    css, js = bundle.stylesheet, bundle.script
    css_href, js_src = attr(f"{prefix}/{css.name}"), attr(f"{prefix}/{js.name}")

    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MediMyth GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css_href}" integrity="{css.integrity}">
<script defer src="{js_src}" integrity="{js.integrity}"></script>
</head>
<body>
<div id="graphiql"
  data-endpoint="{attr(endpoint)}"
  data-operations="{attr(f"{prefix}/{bundle.operations.name}")}"
  data-operations-integrity="{bundle.operations.integrity}"
  data-style-nonce="{nonce}"></div>
<noscript>GraphiQL needs JavaScript; POST GraphQL requests to this URL instead.</noscript>
</body>
</html>
"""
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": content_security_policy(nonce, websocket_origin(request)),
            # A fresh nonce per response: the page itself is never cached.
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
        },
    )
