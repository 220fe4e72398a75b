"""A queue pool that reports connections in use and checkouts waiting, for the metrics."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import AsyncAdaptedQueuePool, PoolProxiedConnection


class PoolWatch(Protocol):
    def in_use(self, delta: int) -> None: ...

    def waiting(self, delta: int) -> None: ...


class WatchedPool(AsyncAdaptedQueuePool):
    """AsyncAdaptedQueuePool whose checkouts are counted while they wait.

    SQLAlchemy's pool tells how many connections are checked out, but not how many
    callers wait for one: a checkout is waiting from the moment it asks until it
    holds a connection (a free one, a new one being opened, or one given back).
    """

    watch: PoolWatch | None = None

    def connect(self) -> PoolProxiedConnection:
        watch = self.watch
        if watch is None:
            return super().connect()
        watch.waiting(1)
        try:
            return super().connect()
        finally:
            watch.waiting(-1)

    def recreate(self) -> WatchedPool:
        # engine.dispose() replaces the pool with a copy: the copy reports too.
        pool = super().recreate()
        assert isinstance(pool, WatchedPool)
        pool.watch = self.watch
        return pool


def watch_pool(engine: AsyncEngine, watch: PoolWatch) -> None:
    """Report the engine's pool to ``watch`` (the engine was made with poolclass=WatchedPool)."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, WatchedPool):
        raise TypeError("the engine's pool is not a WatchedPool")
    pool.watch = watch

    def checked_out(*_args: Any) -> None:
        watch.in_use(1)

    def checked_in(*_args: Any) -> None:
        watch.in_use(-1)

    # Listened after db/session.py's checkout hook: a connection it refuses is not
    # counted, and the retry that replaces it is, once.
    event.listen(engine.sync_engine, "checkout", checked_out)
    event.listen(engine.sync_engine, "checkin", checked_in)
