"""A worker's cache of anonymous public answers, exact: what a commit touched is never served.

An answer is stored only when the GraphQL view says so (schema/platform/cache_policy.py:
an anonymous query of catalogue fields, answered without errors), keyed by the request
as sent (method, content type and body, or the query string of a GET), and served
byte for byte as it was first answered. It is dropped:

- when any worker of this instance answers a mutation: the shared epoch is bumped after
  the mutation's commit and before its answer is sent, so a client that saw its write
  succeed never reads the old answer, from any worker of the instance;
- when PostgreSQL announces a change of a catalogue table (migration 0018's triggers),
  whoever wrote it: another instance, a worker process, psql;
- while this worker does not hear those announcements (the listening connection is
  down, or there is none, behind a transaction pooler without LIVE_LISTEN_URL): then the
  cache is not used at all, and everything stored before is dropped on reconnect.

An answer computed while any of that happened is not stored (its stamp no longer
matches). GET answers carry an ETag, ``Cache-Control`` and ``Vary`` so a CDN can hold
the directory and revalidate it (304) at the origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import multiprocessing
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.platform.cache_policy import CACHEABLE_STATE, Cacheable
from schema.platform.request_facts import current_request

Stamp = tuple[int, int]
_HEADERS_KEPT_OUT = frozenset({b"etag", b"cache-control", b"vary"})


class SharedEpoch:
    """A counter that every worker forked from the creating process sees.

    Made before gunicorn forks (the app is preloaded), in memory shared with the
    workers; bumped under a lock so two workers bumping at once both move it.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._lock = context.Lock()
        self._value = context.RawValue(ctypes.c_uint64, 0)

    @property
    def value(self) -> int:
        # An aligned 8-byte read is atomic: no lock on the hot path.
        return int(self._value.value)

    def bump(self) -> None:
        with self._lock:
            self._value.value += 1


@dataclass(frozen=True, slots=True)
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    operation: str | None
    stamp: Stamp


class ResponseCache:
    """The entries of one worker, bounded in bytes, least recently used dropped first."""

    def __init__(self, *, epoch: SharedEpoch, max_bytes: int, max_entry_bytes: int) -> None:
        self.epoch = epoch
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.listening: Callable[[], bool] = _deaf
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self._bytes = 0
        # Bumped by every announcement this worker hears, and on each (re)connect.
        self._heard = 0
        # Misses being answered now, by key: the same request arriving meanwhile waits
        # for that answer instead of running the same query again (a cold start, or the
        # moment after a change, under load).
        self.pending: dict[bytes, asyncio.Future[None]] = {}
        self.hits = 0
        self.misses = 0

    def stamp(self) -> Stamp:
        return (self.epoch.value, self._heard)

    def heard(self, _payload: str | None) -> None:
        """A catalogue table changed (or, with None, the listener (re)connected): drop all."""
        self._heard += 1
        self._entries.clear()
        self._bytes = 0

    def get(self, key: bytes) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.stamp != self.stamp():
            self._drop(key, entry)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: bytes, entry: Entry) -> None:
        size = len(key) + len(entry.body)
        if size > self.max_entry_bytes or entry.stamp != self.stamp():
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(key) + len(old.body)
        self._entries[key] = entry
        self._bytes += size
        while self._bytes > self.max_bytes and self._entries:
            oldest, dropped = self._entries.popitem(last=False)
            self._bytes -= len(oldest) + len(dropped.body)

    def gauge(self) -> dict[str, object]:
        """What /readyz shows of this worker's cache (the tests read it per worker)."""
        return {
            "listening": self.listening(),
            "entries": len(self._entries),
            "bytes": self._bytes,
            "hits": self.hits,
            "misses": self.misses,
        }

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: bytes, entry: Entry) -> None:
        del self._entries[key]
        self._bytes -= len(key) + len(entry.body)


def _deaf() -> bool:
    return False


def etag_of(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


class ResponseCacheMiddleware:
    """Answers a repeated anonymous public request from the cache; stores what the view allows."""

    def __init__(self, app: ASGIApp, *, cache: ResponseCache, path: str, cdn_max_age: int) -> None:
        self.app = app
        self.cache = cache
        self.path = path
        public = (
            f"public, max-age={cdn_max_age}, must-revalidate"
            if cdn_max_age
            else ("public, no-cache")
        )
        self.public = public.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        request = _Facts(scope)
        if request.personal or method not in ("GET", "POST"):
            # A viewer's own answer: never cached here, and never by anyone on the way.
            await self.app(scope, receive, _private(send) if method == "GET" else send)
            return
        if method == "POST":
            if request.content_type != b"application/json":
                # Another media type passes the CSRF check only with a preflight header:
                # the key would have to hold it. Such clients are rare; not cached.
                await self.app(scope, receive, send)
                return
            body, receive = await _read_body(receive)
            key = b"P" + request.content_type + b"\n" + body
        else:
            key = b"G" + scope["query_string"]
        listening = self.cache.listening()
        entry = self.cache.get(key) if listening else None
        pending = self.cache.pending.get(key) if listening and entry is None else None
        if pending is not None:
            # Someone is answering this very request: use their answer when it is stored.
            with contextlib.suppress(Exception):
                await asyncio.shield(pending)
            entry = self.cache.get(key)
        if entry is not None:
            self.cache.hits += 1
            facts = current_request()
            if facts is not None:
                facts.operation = entry.operation
                facts.graphql_errors = False
            await self._answer(entry, request, method, send)
            return
        self.cache.misses += 1
        if listening and pending is None:
            leading: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.cache.pending[key] = leading
            try:
                await self._miss(scope, receive, send, key=key, request=request, listening=True)
            finally:
                del self.cache.pending[key]
                leading.set_result(None)
            return
        await self._miss(scope, receive, send, key=key, request=request, listening=listening)

    async def _miss(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        key: bytes,
        request: _Facts,
        listening: bool,
    ) -> None:
        method = scope["method"]
        stamp = self.cache.stamp()
        state = scope.setdefault("state", {})
        start: Message | None = None

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            if message.get("more_body", False):
                # Not one body (a stream): send it as it comes, store nothing.
                await send(_with(start, _private_headers(method)))
                start = None
                await send(message)
                return
            body = message.get("body", b"")
            operation = state.get(CACHEABLE_STATE)
            cacheable = (
                listening
                and start["status"] == 200
                and isinstance(operation, Cacheable)
                and self.cache.listening()
            )
            if not cacheable:
                await send(_with(start, _private_headers(method)))
                await send(message)
                return
            assert isinstance(operation, Cacheable)
            entry = Entry(
                status=200,
                headers=[
                    (name, value)
                    for name, value in start.get("headers", ())
                    if name.lower() not in _HEADERS_KEPT_OUT
                ],
                body=body,
                etag=etag_of(body),
                operation=operation.name,
                stamp=stamp,
            )
            self.cache.put(key, entry)
            await self._answer(entry, request, method, send)

        await self.app(scope, receive, capture)

    async def _answer(self, entry: Entry, request: _Facts, method: str, send: Send) -> None:
        headers = list(entry.headers)
        if method == "GET":
            headers += [
                (b"etag", entry.etag),
                (b"cache-control", self.public),
                (b"vary", b"Authorization, Accept"),
            ]
            if request.if_none_match is not None and entry.etag in request.if_none_match:
                kept = [(n, v) for n, v in headers if n.lower() != b"content-length"]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body})


class _Facts:
    """The request headers the cache decides by, read in one pass."""

    __slots__ = ("content_type", "if_none_match", "personal")

    def __init__(self, scope: Scope) -> None:
        self.content_type = b""
        self.if_none_match: bytes | None = None
        self.personal = False
        for name, value in scope["headers"]:
            if name == b"authorization" or name == b"cookie":
                self.personal = True
            elif name == b"content-type":
                self.content_type = value.split(b";", 1)[0].strip().lower()
            elif name == b"accept":
                # GraphiQL's page, or a multipart (incremental) answer: not the JSON answer.
                lowered = value.lower()
                if b"text/html" in lowered or b"multipart" in lowered:
                    self.personal = True
            elif name == b"if-none-match":
                self.if_none_match = value


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (through the body limits outside), and a receive that replays it."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            # The client went away: let the app see it as it would have.
            replayed: list[Message] = [message]
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    else:
        replayed = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
    body = b"".join(chunks)

    async def replay() -> Message:
        if replayed:
            return replayed.pop()
        return await receive()

    return body, replay


def _private_headers(method: str) -> list[tuple[bytes, bytes]]:
    return [(b"cache-control", b"private, no-store")] if method == "GET" else []


def _with(start: Message, extra: list[tuple[bytes, bytes]]) -> Message:
    """The start message with these headers, unless it names them already."""
    headers = list(start.get("headers", ()))
    named = {name.lower() for name, _ in headers}
    added = [(name, value) for name, value in extra if name not in named]
    if not added:
        return start
    return {**start, "headers": [*headers, *added]}


def _private(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = _with(message, _private_headers("GET"))
        await send(message)

    return sending
