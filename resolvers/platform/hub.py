"""The live hub: one per worker process, it wakes the subscribers of a session when it changes.

Subscribers watch a session's key (resolvers/platform/changes.py). The hub hears of
committed changes from a broker (``Changes``): PostgreSQL LISTEN/NOTIFY
(db/listener.py), or a poll when LISTEN cannot work, or, later, another broker
such as Redis pub/sub; the hub only needs "key K changed" and "you may have missed
something". A change bumps the key's generation and wakes its watchers, who re-read
the state; watchers of one key share one read per generation (``Watch.shared``), so
a board watched by 500 phones costs one read per change, not 500. Every watched key
is also re-read every ``resync_seconds``, the safety net for anything missed.
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

    def bump(self) -> None:
        self.generation += 1
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
            task: asyncio.Task[T] = asyncio.create_task(_call(read))
            found = (topic.generation, task)
            topic.reads[name] = found
            self.hub._track(task)
            task.add_done_callback(lambda done: _forget_failed(topic, name, done))
        result: T = await asyncio.shield(found[1])
        return result


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

    def __init__(self, changes: Changes, *, resync_seconds: float) -> None:
        self.changes = changes
        self.resync_seconds = resync_seconds
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
            for topic in self._topics.values():
                topic.bump()
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
            topic = self._topics[key] = _Topic()
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

    # Internals.

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
            await asyncio.sleep(self.resync_seconds)
            self.heard(None)
