"""The loader base: borrows the request's guarded session and answers in key order."""

from __future__ import annotations

import asyncio
from asyncio import Future
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader

from db.session import RequestSession

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


def _same(value: V) -> V:
    return value


class SessionLoader(DataLoader[K, V]):
    """A DataLoader that runs its batch on the request's session, borrowed through ``use()``."""

    def __init__(self, db: RequestSession) -> None:
        super().__init__()
        self.db = db

    def load(self, key: K) -> Future[V]:
        return self._own_future(super().load(key), _same)

    async def prefetch(self, keys: Sequence[K]) -> None:
        """Load these keys now, in one batch, so later ``load_then`` calls answer at once.

        Shielded: the root field awaiting this may be cancelled when a sibling fails,
        and that must not cancel the futures other fields share.
        """
        # Keys already loaded or primed need no batch, and no await at all.
        missing = [key for key in keys if not self._loaded(key)]
        if missing:
            # The shared futures themselves (DataLoader.load): this caller reads no
            # values, so it needs no future of its own per key (see load_then).
            shared = [DataLoader.load(self, key) for key in missing]
            await asyncio.shield(asyncio.gather(*shared))

    def _loaded(self, key: K) -> bool:
        # self._cache is aiodataloader's own key -> future map.
        future = self._cache.get(self.get_cache_key(key))
        return future is not None and future.done()

    def load_then(self, key: K, convert: Callable[[V], R]) -> R | Future[R]:
        """convert(value for key): at once when the value is loaded, else a future of its own.

        A value already loaded (see ``prefetch``) is answered synchronously, so the
        field completes without a coroutine, a future or a task.

        The loader's future is cached and shared by every field that asks for key. When
        a field fails, graphql-core cancels its sibling fields, and cancelling a task
        cancels the future it awaits: awaited directly, the shared future would be
        cancelled and fail every other reader with CancelledError (an HTTP 500). So each
        caller gets a future of its own, fed by a callback (what asyncio.shield does),
        and a sync resolver can return it with the conversion already applied: no
        coroutine, no task per field.
        """
        shared = super().load(key)
        if shared.done() and not shared.cancelled() and shared.exception() is None:
            return convert(shared.result())
        return self._own_future(shared, convert)

    @staticmethod
    def _own_future(shared: Future[V], convert: Callable[[V], R]) -> Future[R]:
        mine: Future[R] = shared.get_loop().create_future()

        def deliver(done: Future[V]) -> None:
            if mine.done():  # this caller was cancelled meanwhile
                return
            if done.cancelled():
                mine.cancel()
                return
            error = done.exception()
            if error is not None:
                mine.set_exception(error)
                return
            try:
                mine.set_result(convert(done.result()))
            except Exception as exc:  # noqa: BLE001 - a conversion bug fails this field only
                mine.set_exception(exc)

        shared.add_done_callback(deliver)
        return mine


def by_key(keys: Sequence[K], found: dict[K, V], default: Any = None) -> list[V]:
    """One result per key, in key order: what every batch function must return."""
    return [found.get(key, default) for key in keys]
