"""How gunicorn's Uvicorn workers read requests: bounded headers, timed clients, a clean shutdown.

gunicorn's own request limits (``limit_request_line``, ``limit_request_fields``,
``limit_request_field_size``) belong to its parser, which a Uvicorn worker never
uses; Uvicorn's httptools parser has no limit at all, and no timer until a request's
headers are in. So, without this module, one connection could send an 8 MB header
(httptools keeps it whole, grown by concatenation: 40 of them took a worker from
73 to 200 MB, and it never gave the memory back) or dribble its headers forever.

``BoundedHttpToolsProtocol`` is Uvicorn's httptools protocol with those bounds; the
worker hands it to Uvicorn through ``CONFIG_KWARGS``, the public way to configure
Uvicorn under gunicorn. The body has its own time limit in the app
(``BodyLimitMiddleware``), where a 408 can be answered like any other refusal.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
import orjson
import uvicorn_worker
from gunicorn.arbiter import Arbiter  # type: ignore[import-untyped]
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from app import balance
from app.balance import BalancedServer, Share
from settings import Settings, get_settings

logger = logging.getLogger("medimyth.http")

# After a refusal, how long (and, below, how much) a connection is still read and the
# bytes dropped before it is closed. Closing at once would turn the client's unread
# remainder into a TCP reset, which can discard the refusal before the client reads it.
LINGER_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class HeaderLimits:
    """What a request may send before the app sees it."""

    max_bytes: int = 32 * 1024
    max_fields: int = 100
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> HeaderLimits:
        return cls(
            max_bytes=settings.max_header_bytes,
            max_fields=settings.max_header_count,
            timeout_seconds=float(settings.header_timeout_seconds),
        )


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; data_received answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol, with limits on header size, header count and header time.

    Size: the parser is fed at most ``max_bytes`` of a request before its headers
    are complete (request line, headers and, later, chunk framing and trailers
    count; body bytes do not). A request whose headers do not fit is answered 431
    before the app is called, and the connection is closed, so a connection holds
    at most that much. Count: more than ``max_fields`` header (or trailer) fields
    is a 431 as well. Time: a connection must deliver a request's line and headers
    within ``timeout_seconds`` of connecting, or of that request's first byte on a
    kept-alive connection; otherwise it gets a 408 (or, when it sent nothing, is
    closed quietly). Idle kept-alive connections stay Uvicorn's business
    (``timeout_keep_alive``).
    """

    limits: ClassVar[HeaderLimits] = HeaderLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Non-body bytes of the current request, and its header fields.
        self._overhead = 0
        self._fields = 0
        # Body bytes the parser has handed over: what a chunk held besides overhead.
        self._body_bytes = 0
        self._reading_headers = True
        self._request_begun = False
        # The current request's line and header bytes as the parser hands them over, and
        # whether a request completed within the last piece fed: a piece of body can end
        # with the next pipelined request, whose headers are counted here, not by the cut.
        self._parsed_bytes = 0
        self._completed = False
        self._refused = False
        self._linger_bytes = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None

    # Connection events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        if self._linger_timer is not None:
            self._linger_timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            # What a refused client still sends is dropped, up to a bound.
            self._linger_bytes -= len(data)
            if self._linger_bytes < 0:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        limit = self.limits.max_bytes
        view = memoryview(data)
        while view:
            if self._reading_headers:
                room = limit - self._overhead
                if room <= 0:
                    self._refuse(431, f"The request line and headers exceed {limit} bytes.")
                    return
                piece, view = view[:room], view[room:]
            else:
                piece, view = view, view[:0]
            body_before = self._body_bytes
            if not self._feed(piece):
                return
            if self._completed:
                # Bytes of the piece belong to a request that ended in it: what the request
                # now being read has sent is what the parser handed over for it.
                self._completed = False
                self._overhead = self._parsed_bytes
            else:
                self._overhead += len(piece) - (self._body_bytes - body_before)
            if not self._reading_headers and self._overhead > limit:
                # Chunk framing and trailers past the limit, while the app reads the body.
                self._refuse(400, f"The request's chunk framing and trailers exceed {limit} bytes.")
                return

    def _feed(self, piece: memoryview) -> bool:
        """Uvicorn's data_received for one piece; False when the connection is done reading."""
        try:
            self.parser.feed_data(piece)
        except httptools.HttpParserError as error:
            refused = error.__context__
            if isinstance(refused, _Refused):
                self._refuse(refused.status, refused.message)
            else:
                message = "Invalid HTTP request received."
                self.logger.warning(message)
                self.send_400_response(message)
            return False
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return False
        return True

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_begun = True
        self._parsed_bytes = 0
        if self._header_timer is None:
            self._start_header_timer()

    def on_url(self, url: bytes) -> None:
        self._count_parsed(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        # The field and its ": " and CRLF.
        self._count_parsed(len(name) + len(value) + 4)
        self._fields += 1
        if self._fields > self.limits.max_fields:
            raise _Refused(
                431, f"The request has more than {self.limits.max_fields} header fields."
            )
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._request_begun = False
        self._stop_header_timer()
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def _count_parsed(self, size: int) -> None:
        self._parsed_bytes += size
        if self._reading_headers and self._parsed_bytes > self.limits.max_bytes:
            limit = self.limits.max_bytes
            raise _Refused(431, f"The request line and headers exceed {limit} bytes.")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._completed = True
        self._reading_headers = True
        self._overhead = 0
        self._fields = 0

    # Refusals

    def _start_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(
            self.limits.timeout_seconds, self._headers_timed_out
        )

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_timed_out(self) -> None:
        self._header_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request waits behind one in flight: the server is slow, not
            # the client. Its clock starts again.
            self._start_header_timer()
            return
        seconds = self.limits.timeout_seconds
        if self._request_begun:
            self._refuse(408, f"The request headers were not received within {seconds:g} seconds.")
        else:
            self._refuse(408, f"No request was sent within {seconds:g} seconds.", answer=False)

    def _refuse(self, status: int, message: str, *, answer: bool = True) -> None:
        """Stop reading this connection: answer a JSON refusal (as the app's read) and close."""
        if self._refused:
            return
        self._refused = True
        self._stop_header_timer()
        self._log_refusal(status, message)
        if not self._reading_headers:
            # The app is reading this request's body: it sees the client disconnect.
            self.transport.close()
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request is refused while the one before it is answered: let
            # that answer finish, then close.
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        if not answer:
            self.transport.close()
            return
        self.transport.write(_refusal(status, message, self.server_state.default_headers))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        # The answer, then our end of the connection (FIN); the client's is read and
        # dropped until it closes too, LINGER_SECONDS pass or max_bytes more arrive.
        self.transport.write_eof()
        self._linger_bytes = self.limits.max_bytes
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _log_refusal(self, status: int, reason: str) -> None:
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "-"
        logger.info("%s from %s: %s", status, client, reason, extra={"status": status})


def _refusal(status: int, message: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    body = orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}
    )
    head = [STATUS_LINE[status]]
    for name, value in default_headers:
        head += [name, b": ", value, b"\r\n"]
    head += [
        b"content-type: application/json\r\n",
        b"content-length: %d\r\n" % len(body),
        b"x-content-type-options: nosniff\r\n",
        b"connection: close\r\n\r\n",
    ]
    return b"".join(head) + body


def protocol_class(limits: HeaderLimits) -> type[BoundedHttpToolsProtocol]:
    """The protocol with these limits (Uvicorn builds one protocol per connection from a class)."""
    return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), {"limits": limits})


class GoingAwayWebSocketProtocol(WebSocketsSansIOProtocol):
    """Uvicorn's WebSocket protocol (the ``websockets`` package), closing with 1001 on shutdown.

    On SIGTERM Uvicorn closes every open WebSocket before the lifespan ends; its own
    code is 1012 (service restart). 1001 (going away) is what browsers and
    graphql-ws clients take for "this server is leaving: reconnect", which is what a
    deploy or a scale-down means for a subscriber.
    """

    def shutdown(self) -> None:
        if not self.handshake_complete or self.close_sent:
            super().shutdown()
            return
        self.stop_keepalive()
        # The app sees the socket go (its streams and watchers end), the client a 1001.
        self.queue.put_nowait({"type": "websocket.disconnect", "code": 1001})
        self.conn.send_close(1001, "Server shutting down")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The Uvicorn settings the worker adds to uvicorn-worker's own."""
    return {
        "http": protocol_class(HeaderLimits.from_settings(settings)),
        # Subscriptions (graphql-transport-ws): a client message may be as large as a
        # request body; pings keep a quiet stream open through proxies and end one whose
        # peer is gone; no per-message deflate, whose compressor state costs each socket
        # far more memory than the few hundred bytes of a board update save.
        "ws": GoingAwayWebSocketProtocol,
        "ws_max_size": settings.max_request_bytes,
        "ws_ping_interval": settings.live_ping_seconds,
        "ws_ping_timeout": settings.live_ping_seconds,
        "ws_per_message_deflate": False,
        # Only read by Uvicorn's h11 protocol: the same bound, should anyone switch to it.
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        # The app decides the client's address from TRUSTED_PROXIES (app/proxies.py), from
        # the socket's peer: Uvicorn rewriting it first would hide that peer.
        "proxy_headers": False,
    }


class UvicornWorker(uvicorn_worker.UvicornWorker):  # type: ignore[misc]
    """uvicorn-worker's worker with MediMyth's protocol, and a shutdown that logs no error."""

    sockets: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Read in the master when it spawns a worker, like the rest of the Uvicorn config.
        base: dict[str, Any] = uvicorn_worker.UvicornWorker.CONFIG_KWARGS
        self.CONFIG_KWARGS = {**base, **uvicorn_options(get_settings())}
        super().__init__(*args, **kwargs)

    def run(self) -> None:
        # uvloop closes a listening socket it serves when the server closes, and then
        # closes the object it was given. Given gunicorn's wrapper, that second close
        # reached the already closed descriptor, and every worker shutdown (Ctrl-C,
        # SIGTERM, a deploy) logged "Error while closing socket [Errno 9] Bad file
        # descriptor". Given the socket itself, the second close does nothing.
        self.sockets = [getattr(sock, "sock", sock) for sock in self.sockets]
        if not get_settings().worker_balance or not balance.supported():
            super().run()
            return
        with asyncio.Runner(loop_factory=self.config.get_loop_factory()) as runner:
            runner.run(self._serve_balanced())

    async def _serve_balanced(self) -> None:
        """uvicorn-worker's serve, with a server that takes turns accepting (app/balance.py)."""
        self.config.app = self.wsgi
        server = BalancedServer(self.config, share=Share.of(self))
        # As uvicorn-worker does: gunicorn's SIGQUIT is a quick exit.
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGQUIT, self.handle_exit, signal.SIGQUIT, None)
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
