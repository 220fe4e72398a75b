"""Free text as it is stored: one trimmed line, whitespace collapsed."""

from __future__ import annotations

import re

_WHITESPACE = re.compile(r"\s+")


def single_line(raw: str) -> str:
    """Trimmed, with runs of whitespace (tabs, newlines) collapsed to one space."""
    return _WHITESPACE.sub(" ", raw).strip()


def clean_text(raw: str | None) -> str | None:
    """One trimmed line, or None when blank: how optional free text is stored."""
    return single_line(raw or "") or None
