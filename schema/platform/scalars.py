"""Scalars that differ from Strawberry's defaults: a Time is a wall-clock time, never an offset.

Strawberry's Time scalar parses "18:00:00+05:30" into an aware ``datetime.time``.
A schedule's times are read on the doctor's wall clock in the doctor's time zone,
so an offset means nothing there (and an aware time cannot even be compared with
a naive one). This Time refuses it while the variables are coerced: the request
gets BAD_USER_INPUT naming the variable and the reason, before any resolver runs.
Pass it to the schema as ``scalar_overrides={datetime.time: NaiveTime}``.
"""

from __future__ import annotations

from datetime import time

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError

from resolvers.platform.calendar import OFFSET_REFUSED


def serialize_time(value: time) -> str:
    return value.isoformat()


def parse_time(value: object) -> time:
    """An ISO time of day (18:30, 18:30:00) without an offset, else a coercion error."""
    if not isinstance(value, str):
        raise StrawberryInputCoercionError("Time cannot represent a non-string value.")
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise StrawberryInputCoercionError(
            "Time cannot represent this value: expected HH:MM or HH:MM:SS."
        ) from None
    if parsed.tzinfo is not None:
        raise StrawberryInputCoercionError(f"Time cannot represent this value. {OFFSET_REFUSED}")
    return parsed


NaiveTime = strawberry.scalar(
    name="Time",
    description="A time of day on the doctor's wall clock (ISO 8601, e.g. 18:30), no offset.",
    serialize=serialize_time,
    parse_value=parse_time,
)
