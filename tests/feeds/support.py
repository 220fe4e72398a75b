"""Test helpers for feeds: the integrations operations, and a feed read as a calendar app reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast
from icalendar import Calendar, Component

from tests.operations import OPERATIONS_DIR

INTEGRATIONS = OPERATIONS_DIR / "integrations" / "integrations.graphql"


@cache
def integration_operation(name: str) -> str:
    """One named operation of the frontend's integrations set, as the frontend sends it."""
    for definition in parse(INTEGRATIONS.read_text()).definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.name is not None
            and definition.name.value == name
        ):
            return print_ast(DocumentNode(definitions=(definition,)))
    raise KeyError(f"no operation named {name} in {INTEGRATIONS}")


@dataclass(frozen=True)
class SeenEvent:
    """One VEVENT as a calendar app sees it: instants, not text."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    status: str
    summary: str
    description: str
    tzid: str


def events_of(body: bytes) -> list[SeenEvent]:
    """Parse a document back with icalendar (independently of how it was written)."""
    calendar = Calendar.from_ical(body)
    return [_seen(event) for event in calendar.walk("VEVENT")]


def _seen(event: Component) -> SeenEvent:
    starts_at, ends_at = event.decoded("DTSTART"), event.decoded("DTEND")
    assert isinstance(starts_at, datetime)
    assert isinstance(ends_at, datetime)
    assert isinstance(starts_at.tzinfo, ZoneInfo)  # read with its VTIMEZONE's TZID
    return SeenEvent(
        uid=str(event["UID"]),
        starts_at=starts_at,
        ends_at=ends_at,
        status=str(event["STATUS"]),
        summary=str(event["SUMMARY"]),
        description=str(event["DESCRIPTION"]),
        tzid=starts_at.tzinfo.key,
    )


def time_zones_of(body: bytes) -> list[str]:
    return [str(zone["TZID"]) for zone in Calendar.from_ical(body).walk("VTIMEZONE")]
