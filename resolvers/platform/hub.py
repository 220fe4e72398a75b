"""The live hub: one per worker process, it wakes the subscribers of a session when it changes.

Subscribers watch a session's key (resolvers/platform/changes.py). The hub hears of
committed changes from a broker (``Changes``): PostgreSQL LISTEN/NOTIFY
(db/listener.py), or a poll when LISTEN cannot work, or, later, another broker
such as Redis pub/sub; the hub only needs "key K changed" and "you may have missed
something". A change bumps the key's generation and wakes its watchers, who re-read
the state; watchers of one key share one read per generation (``Watch.shared``), so
a board watched by 500 phones costs one read per change, not 500. Every watched key
is also re-read about every ``resync_seconds``, the safety net for anything missed.

The re-reads nobody announced (the resync, a poll, everything after a reconnect) go
through the worker's pool like the HTTP requests: all at once they would hold every
connection while CallNext waits behind them. So the resync spreads the keys over
its interval (each key at its own phase, and a key read since, for a notification,
is not due), and those reads, the shared ones and a stream's own, hold one of
``reread_limit`` slots, fewer than the pool has connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from resolvers.platform.changes import SessionKey

logger = logging.getLogger("medimyth.live")

T = TypeVar("T")
# What a broker calls: with a key's payload when that session changed, with None when
# it may have missed changes (it reconnected, or it polls) and everything is re-read.
Heard = Callable[[str | None], None]
# When the broker itself fails (a bug; brokers handle their own reconnects), it is
# started again after this many seconds.
RESTART_SECONDS = 1.0
# The resync looks for due keys this many times per interval; a key is re-read at most
# one look (resync_seconds / RESYNC_LOOKS) after it fell due.
RESYNC_LOOKS = 20
# A new key's first resync falls between (1 - RESYNC_SPREAD) and 1 interval after it
# is first watched, at its own phase, then one interval after each read: keys first
# read at once (a worker's start, a burst of subscribers) keep resyncing apart.
RESYNC_SPREAD = 0.5
# Phases 0..1 handed out by the golden ratio: any number of keys lie evenly spread.
GOLDEN = 0.6180339887498949


class Changes(Protocol):
    """Where the hub hears of committed changes; ``follow`` runs until it is cancelled."""

    @property
    def listening(self) -> bool:
        """Whether it hears changes as they commit (False while it reconnects, or polls)."""
        ...

    async def follow(self, heard: Heard) -> None: ...


class Polling:
    """No broker: every watched key is re-read every ``seconds`` (behind a transaction pooler)."""

    listening = False

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def follow(self, heard: Heard) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            heard(None)


@dataclass(eq=False)
class _Topic:
    """One watched key: its generation, who watches it, and the reads shared for it."""

    generation: int = 0
    watchers: int = 0
    woken: asyncio.Event = field(default_factory=asyncio.Event)
    reads: dict[str, tuple[int, asyncio.Task[Any]]] = field(default_factory=dict)
    # When its resync is next due (loop time).
    due: float = 0.0
    # Whether this generation is a re-read nobody announced: its reads wait for a slot.
    paced: bool = False
    # Shared reads waiting for a slot: they read after now, so bumping again adds nothing.
    queued: int = 0

    def bump(self, *, paced: bool = False) -> None:
        self.generation += 1
        self.paced = paced
        woken, self.woken = self.woken, asyncio.Event()
        woken.set()


class Watch:
    """One subscriber's view of a key: wait for its next change, read it (shared)."""

    def __init__(self, hub: Hub, key: SessionKey, topic: _Topic) -> None:
        self.hub = hub
        self.key = key
        self._topic = topic
        self._seen = topic.generation

    async def changed(self) -> None:
        """Return once the key changed (or was resynced) after the last call."""
        topic = self._topic
        while topic.generation == self._seen:
            await topic.woken.wait()
        self._seen = topic.generation

    async def shared(self, name: str, read: Callable[[], Awaitable[T]]) -> T:
        """``read()`` once per change of the key for every watcher asking for ``name``.

        The read runs as a task of the hub: a watcher that leaves while it runs does
        not cancel it for the others (it must not use a subscriber's own session).
        """
        topic = self._topic
        found = topic.reads.get(name)
        if found is None or found[0] != topic.generation:
            if found is not None or topic.generation:  # the first read keeps its phase
                self.hub._was_read(topic)
            if topic.paced:
                topic.queued += 1
                task: asyncio.Task[T] = asyncio.create_task(self.hub._paced(topic, read))
            else:
                task = asyncio.create_task(_call(read))
            found = (topic.generation, task)
            topic.reads[name] = found
            self.hub._track(task)
            task.add_done_callback(lambda done: _forget_failed(topic, name, done))
        result: T = await asyncio.shield(found[1])
        return result

    @contextlib.asynccontextmanager
    async def paced(self) -> AsyncIterator[None]:
        """Hold a slot for a stream's own read when this change is a re-read nobody announced.

        The stream must not ask for ``shared`` inside the block: that read may wait for
        a slot too, and a stream holding one while waiting for another can starve them.
        """
        if not self._topic.paced:
            yield
            return
        async with self.hub._slots:
            yield


async def _call(read: Callable[[], Awaitable[T]]) -> T:
    return await read()


def _forget_failed(topic: _Topic, name: str, task: asyncio.Task[Any]) -> None:
    # A failed read (the database restarting) is not kept: the next watcher asks again.
    if task.cancelled() or task.exception() is not None:
        found = topic.reads.get(name)
        if found is not None and found[1] is task:
            del topic.reads[name]


class Hub:
    """Who watches which session in this worker, and the tasks that wake them."""

    def __init__(
        self,
        changes: Changes,
        *,
        resync_seconds: float,
        reread_limit: int = 1,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.changes = changes
        self.resync_seconds = resync_seconds
        self.reread_limit = reread_limit
        self._slots = asyncio.Semaphore(reread_limit)
        self._clock = clock
        self._phase = 0.0
        self._topics: dict[SessionKey, _Topic] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._running: list[asyncio.Task[None]] = []
        # Open subscriptions per client address (the limit per address) and in all.
        self.subscriptions: Counter[str] = Counter()
        self.connections = 0

    # Lifecycle: started in the app's lifespan, after fork; nothing runs at import.

    async def start(self) -> None:
        if not self._running:
            self._running = [
                asyncio.create_task(self._follow(), name="live-hub-follow"),
                asyncio.create_task(self._resync(), name="live-hub-resync"),
            ]

    async def stop(self) -> None:
        """Cancel the broker, the resync loop and shared reads, and wait until they are gone."""
        running = [*self._running, *self._tasks]
        self._running = []
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # What the broker calls.

    def heard(self, payload: str | None) -> None:
        if payload is None:
            # A poll, or a reconnect: every key, paced. A key whose re-read still waits
            # for a slot will read after now anyway (no pile-up when polls outrun reads).
            for topic in self._topics.values():
                if not topic.queued:
                    topic.bump(paced=True)
            return
        key = SessionKey.parse(payload)
        found = self._topics.get(key) if key is not None else None
        if found is not None:
            found.bump()

    # What subscriptions use.

    @contextlib.asynccontextmanager
    async def watch(self, key: SessionKey) -> AsyncIterator[Watch]:
        """Watch a key for as long as the block runs; the key is forgotten with its last watcher."""
        topic = self._topics.get(key)
        if topic is None:
            topic = self._topics[key] = self._topic()
        topic.watchers += 1
        try:
            yield Watch(self, key, topic)
        finally:
            topic.watchers -= 1
            if topic.watchers == 0 and self._topics.get(key) is topic:
                del self._topics[key]

    def admit(self, address: str, *, limit: int) -> bool:
        """Count one more subscription of this address, unless it holds ``limit`` already."""
        if self.subscriptions[address] >= limit:
            return False
        self.subscriptions[address] += 1
        return True

    def release(self, address: str) -> None:
        self.subscriptions[address] -= 1
        if self.subscriptions[address] <= 0:
            del self.subscriptions[address]

    def gauge(self) -> dict[str, object]:
        """What this worker holds open, for /readyz and the tests that count leftovers."""
        return {
            "worker": os.getpid(),
            "listening": self.changes.listening,
            "connections": self.connections,
            "subscriptions": sum(self.subscriptions.values()),
            "sessions": len(self._topics),
            "watchers": sum(topic.watchers for topic in self._topics.values()),
            "reads": len(self._tasks),
            "tasks": len(asyncio.all_tasks()),
        }

    def resync_due(self) -> int:
        """Wake the watchers of every key due for its safety-net re-read; how many keys."""
        now = self._now()
        due = [t for t in self._topics.values() if t.due <= now and not t.queued]
        for topic in due:
            topic.bump(paced=True)
            self._was_read(topic)  # due again one interval on, even if nobody reads it
        return len(due)

    # Internals.

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _topic(self) -> _Topic:
        self._phase = (self._phase + GOLDEN) % 1.0
        first = self.resync_seconds * (1 - RESYNC_SPREAD * self._phase)
        return _Topic(due=self._now() + first)

    def _was_read(self, topic: _Topic) -> None:
        """A read of the key starts now: its resync is due one interval on."""
        topic.due = self._now() + self.resync_seconds

    async def _paced(self, topic: _Topic, read: Callable[[], Awaitable[T]]) -> T:
        try:
            await self._slots.acquire()
        finally:
            topic.queued -= 1
        try:
            return await read()
        finally:
            self._slots.release()

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self) -> None:
        while True:
            try:
                await self.changes.follow(self.heard)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("the live broker failed; starting it again")
            await asyncio.sleep(RESTART_SECONDS)

    async def _resync(self) -> None:
        while True:
            await asyncio.sleep(self.resync_seconds / RESYNC_LOOKS)
            self.resync_due()
