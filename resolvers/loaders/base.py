"""The loader base: borrows the request's guarded session and answers in key order."""

from __future__ import annotations

import asyncio
from asyncio import Future
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader

from db.session import RequestSession

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SessionLoader(DataLoader[K, V]):
    """A DataLoader that runs its batch on the request's session, borrowed through ``use()``."""

    def __init__(self, db: RequestSession) -> None:
        super().__init__()
        self.db = db

    def load(self, key: K) -> Future[V]:
        # The future is cached and shared by every field that asks for key. When a field
        # fails, graphql-core cancels its sibling fields, and cancelling a task cancels the
        # future it awaits: unshielded, that would cancel the cached future and fail every
        # other reader with CancelledError (an HTTP 500). Each caller gets its own shield.
        return asyncio.shield(super().load(key))


def by_key(keys: Sequence[K], found: dict[K, V], default: Any = None) -> list[V]:
    """One result per key, in key order: what every batch function must return."""
    return [found.get(key, default) for key in keys]
