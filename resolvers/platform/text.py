"""Free text as it is stored: one trimmed line, whitespace collapsed; numbers in text."""

from __future__ import annotations

import re

_WHITESPACE = re.compile(r"\s+")


def single_line(raw: str) -> str:
    """Trimmed, with runs of whitespace (tabs, newlines) collapsed to one space."""
    return _WHITESPACE.sub(" ", raw).strip()


def clean_text(raw: str | None) -> str | None:
    """One trimmed line, or None when blank: how optional free text is stored."""
    return single_line(raw or "") or None


def ascii_number(raw: str, *, max_digits: int) -> int | None:
    """The number ``raw`` spells in ASCII digits (at most max_digits); None for anything else.

    Not str.isdigit(): it accepts "³", which int() refuses, and "٣", which int() reads as 3.
    """
    if raw.isascii() and raw.isdigit() and len(raw) <= max_digits:
        return int(raw)
    return None
