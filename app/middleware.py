"""ASGI middleware every request passes: request id, security headers, the log line, body limits."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.feeds import loggable_path
from db.stats import counting_statements
from schema.platform.request_facts import RequestFacts, bound_request
from schema.platform.view import refusal
from settings import Settings

if TYPE_CHECKING:
    from app.metrics import Metrics

logger = logging.getLogger("medimyth.request")

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it is short and plain, so a proxy's or client's id
# joins their logs to ours; anything else (log injection, huge values) is replaced.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# JSON answers never render as a page; the GraphiQL page sends its own, stricter policy.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=63072000; includeSubDomains"
# nginx's "client closed request": the client went away before its request was read,
# so nothing was answered. Only ever in the log line.
CLIENT_CLOSED_REQUEST = 499
# The requests the metrics time: GraphQL's (probes, feeds and scrapes are left out).
GRAPHQL_PATH = "/graphql"


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": DEFAULT_CSP,
    }
    if settings.is_production:
        # Production sits behind TLS; development serves plain http on localhost,
        # where HSTS would only pin a developer's browser to https.
        headers["Strict-Transport-Security"] = HSTS
    return headers


def request_id_from(scope: Scope) -> str:
    incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if incoming is not None and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """The outermost layer: ids, headers and one log line for every response, a 500 included."""

    def __init__(self, app: ASGIApp, *, settings: Settings, metrics: Metrics | None = None) -> None:
        self.app = app
        self.headers = security_headers(settings)
        # None when METRICS_ENABLED is off: then a request pays one comparison for them.
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        facts = RequestFacts(request_id=request_id_from(scope))
        status: int | None = None

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = list(message.get("headers", ()))
                headers = MutableHeaders(raw=message["headers"])
                headers[REQUEST_ID_HEADER] = facts.request_id
                for name, value in self.headers.items():
                    headers.setdefault(name, value)  # the GraphiQL page keeps its own CSP
            await send(message)

        started = time.perf_counter()
        with bound_request(facts), counting_statements() as statements:
            try:
                await self.app(scope, receive, send_with_headers)
            except ClientDisconnect:
                # Not a failure of ours, and nobody is left to answer: no traceback, no 500.
                if status is None:
                    status = CLIENT_CLOSED_REQUEST
            except Exception:
                logger.exception("unhandled error")
                if status is not None:
                    raise  # the response has begun; the server closes the connection
                answer = refusal(500, "Internal server error.", "INTERNAL_SERVER_ERROR")
                await answer(scope, receive, send_with_headers)
            finally:
                _log_request(scope, facts, status, statements.count, started)
                if self.metrics is not None and scope["path"] == GRAPHQL_PATH:
                    self.metrics.request_done(
                        operation=facts.operation,
                        status=status,
                        seconds=time.perf_counter() - started,
                        statements=statements.count,
                    )


def _log_request(
    scope: Scope, facts: RequestFacts, status: int | None, statements: int, started: float
) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    # A calendar feed's path holds its secret: the log never does.
    method, path = scope["method"], loggable_path(scope["path"])
    peer = scope.get("client")
    logger.info(
        "%s %s %s in %.1f ms",
        method,
        path,
        status if status is not None else "-",
        duration_ms,
        extra={
            "request_id": facts.request_id,
            "method": method,
            "path": path,
            # The client behind trusted proxies (app/proxies.py): what the limits count.
            "client": peer[0] if peer else None,
            "status": status,
            "duration_ms": duration_ms,
            "statements": statements,
            "operation": facts.operation,
            "graphql_errors": facts.graphql_errors,
            "cost": facts.cost,
        },
    )


class _BodyTooLarge(Exception):
    pass


class _BodyTooSlow(Exception):
    pass


class BodyLimitMiddleware:
    """413 for a body over the size limit, 408 for one that does not arrive in time.

    Size: by Content-Length at once, else by counting the bytes. Counting catches
    chunked bodies (no Content-Length) and a Content-Length that lies; the app is
    stopped at the first chunk past the limit, before it parses. Time: the whole
    body must arrive within ``read_seconds`` of the request reaching the app, so a
    client sending a byte now and then cannot hold a connection (and its request)
    open; the 408 closes the connection, so the rest of that body is never read.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, read_seconds: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_seconds = read_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        more_body = True
        responding = False
        deadline = None
        if self.read_seconds is not None:
            deadline = asyncio.get_running_loop().time() + self.read_seconds

        async def guarded_receive() -> Message:
            nonlocal received, more_body
            if more_body and deadline is not None:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise _BodyTooSlow from None
            else:
                # After the body, receive() waits for the disconnect: no deadline there.
                message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
                more_body = message.get("more_body", False)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal responding
            responding = responding or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, guarded_receive, watched_send)
        except _BodyTooLarge:
            if responding:
                raise
            await self._too_large(scope, receive, send)
        except _BodyTooSlow:
            if responding:
                raise
            message = f"The request body was not received within {self.read_seconds:g} seconds."
            await _closing(refusal(408, message))(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes."
        await refusal(413, message)(scope, receive, send)


def _closing(response: Response) -> Response:
    """The response, and the connection closed after it (Uvicorn honours the header)."""
    response.headers["Connection"] = "close"
    return response
