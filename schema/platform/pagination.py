"""Relay-style page information shared by every connection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import strawberry

from resolvers.platform.pagination import Page

T = TypeVar("T")
N = TypeVar("N")
E = TypeVar("E")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_page(cls, page: Page[Any]) -> PageInfo:
        return cls(has_next_page=page.has_next_page, end_cursor=page.end_cursor)


def edges_of(page: Page[T], edge: Callable[..., E], nodes: Sequence[N] | None = None) -> list[E]:
    """A page's edges: each item (or the node made of it) with its cursor, in page order."""
    items: Sequence[Any] = page.items if nodes is None else nodes
    return [edge(cursor=page.cursor(index), node=node) for index, node in enumerate(items)]
