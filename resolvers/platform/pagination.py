"""Opaque cursors and page-size rules shared by every connection."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from resolvers.platform.errors import BadUserInput
from resolvers.platform.text import ascii_number

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
_PREFIX = "o:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset after which the next page starts; an unreadable cursor is the user's mistake."""
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadUserInput("after is not a cursor this API issued") from None
    # Nine digits: more than any list holds, and within what SQL's OFFSET accepts.
    offset = ascii_number(raw[len(_PREFIX) :], max_digits=9) if raw.startswith(_PREFIX) else None
    if offset is None:
        raise BadUserInput("after is not a cursor this API issued")
    return offset + 1


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise BadUserInput("first must not be negative")
    if first > MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be at most {MAX_PAGE_SIZE}")
    return first


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A slice of an ordered result: the items, where it starts, and whether more follow."""

    items: Sequence[T]
    offset: int
    has_next_page: bool
    total_count: int

    def cursor(self, index: int) -> str:
        return encode_cursor(self.offset + index)

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(len(self.items) - 1) if self.items else None
