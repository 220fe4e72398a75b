"""Relay-style page information shared by every connection."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.platform.pagination import Page


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_page(cls, page: Page[Any]) -> PageInfo:
        return cls(has_next_page=page.has_next_page, end_cursor=page.end_cursor)
