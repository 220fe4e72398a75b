"""What one HTTP request did, for its log line: the web layer binds it, GraphQL fills it in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestFacts:
    """What the request log line tells about one request; GraphQL fills in its part."""

    request_id: str
    operation: str | None = None
    graphql_errors: bool | None = None
    # The operation's cost (schema/platform/cost.py), once it validated.
    cost: int | None = None


_current: ContextVar[RequestFacts | None] = ContextVar("medimyth_request", default=None)


def current_request() -> RequestFacts | None:
    """The request this code runs for (in its task and the tasks it spawns), or None."""
    return _current.get()


def current_request_id() -> str | None:
    facts = _current.get()
    return None if facts is None else facts.request_id


@contextmanager
def bound_request(facts: RequestFacts) -> Iterator[RequestFacts]:
    token = _current.set(facts)
    try:
        yield facts
    finally:
        _current.reset(token)
