"""Counts the SQL statements a unit of work sends, for logs and for tests' statement budgets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StatementLog:
    count: int = 0
    statements: list[str] = field(default_factory=list)
    keep_text: bool = False
    # Logs nest (the request log's count inside a test's budget count): a statement
    # is credited to every log open around it.
    outer: StatementLog | None = field(default=None, repr=False)


_current: ContextVar[StatementLog | None] = ContextVar("medimyth_statements", default=None)


def record_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any) -> None:
    """SQLAlchemy before_cursor_execute hook: credit the statement to the current log."""
    log = _current.get()
    while log is not None:
        log.count += 1
        if log.keep_text:
            log.statements.append(statement)
        log = log.outer


@contextmanager
def counting_statements(*, keep_text: bool = False) -> Iterator[StatementLog]:
    """Count the statements sent while the block runs in this context (and tasks it spawns)."""
    log = StatementLog(keep_text=keep_text, outer=_current.get())
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)
