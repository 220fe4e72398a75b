"""Turning GraphQL IDs into database keys."""

from __future__ import annotations

import strawberry

# Identity columns start at 1, so 0 names nothing: a malformed id simply finds nothing.
NO_SUCH_ID = 0


def int_id(raw: strawberry.ID | str) -> int:
    """The numeric key an ID stands for, or NO_SUCH_ID when it is not one of ours."""
    text = str(raw).strip()
    # ASCII digits only: str.isdigit() also accepts "³" and "¹", which int() refuses.
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else NO_SUCH_ID
