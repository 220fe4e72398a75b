"""Test helpers for the session day: the frontend's live operations, a session on its day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast

from tests.operations import OPERATIONS_DIR

# Thursday 3 December 2026: the factories' schedules (weekday 3, 18:00-20:00 Asia/Kolkata).
DAY = date(2026, 12, 3)
# 18:00 in Kolkata on DAY: the session's start.
STARTS = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)


@cache
def _live_operations() -> dict[str, str]:
    document = parse((OPERATIONS_DIR / "live" / "live.graphql").read_text())
    return {
        definition.name.value: print_ast(DocumentNode(definitions=(definition,)))
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    }


def live_operation(name: str) -> str:
    """One of the frontend's session-day operations, exactly as it sends it."""
    return _live_operations()[name]
