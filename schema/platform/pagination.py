"""Relay-style connections: page information, and the edge and connection of a node type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

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


@strawberry.type
class Edge(Generic[N]):
    """Named by Strawberry after its node: ``Edge[Account]`` is ``AccountEdge``."""

    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    """Named by Strawberry after its node: ``Connection[Account]`` is ``AccountConnection``."""

    total_count: int
    page_info: PageInfo
    edges: list[Edge[N]]

    @classmethod
    def of(cls, page: Page[Any], nodes: Sequence[N]) -> Connection[N]:
        """The page with its items as these nodes, in page order."""
        return cls(
            total_count=page.total_count,
            page_info=PageInfo.from_page(page),
            edges=edges_of(page, Edge, nodes),
        )
