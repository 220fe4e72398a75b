"""Read models for hot column-tuple reads: NamedTuples in the order of their statement's columns.

A SQLAlchemy Row answers ``row.name`` through a key lookup (about 0.5 us); a page
of 50 doctors with 200 schedules reads about 4,000 such attributes while
converting to GraphQL objects. Copying each row into a NamedTuple costs one
positional copy and makes every later attribute read a plain tuple index.
``check_columns`` ties each tuple to its statement at import time, so a column
added to one and not the other fails at once instead of shifting values.
"""

from __future__ import annotations

from datetime import time
from typing import Any, NamedTuple

from sqlalchemy import Select


class ScheduleRow(NamedTuple):
    """A schedule as the catalogue reads it (a ScheduleRecord)."""

    id: int
    doctor_id: int
    weekday: int
    weeks_of_month: list[int]
    start_time: time
    end_time: time | None
    booking_opens_days_before: int
    booking_closes_hours_before: int
    fee: int
    patient_limit: int | None
    consult_minutes: int
    clinic_name: str | None
    medical_shop: str | None
    address: str
    contact_phone: str | None
    is_active: bool


class CategoryRow(NamedTuple):
    """A category as the catalogue reads it (a CategoryRecord)."""

    id: int
    name: str


class PublicDoctorRow(NamedTuple):
    """A doctor's public columns (a PublicDoctorRecord), with their category's name."""

    id: int
    public_number: int | None
    name: str
    description: str | None
    category_label: str | None
    email: str
    email_visible: bool
    phone: str | None
    phone_visible: bool
    registration_number: str | None
    registration_number_visible: bool
    address: str | None
    city: str | None
    time_zone: str
    profile_picture_url: str | None
    category_id: int | None
    category_name: str | None

    def category(self) -> CategoryRow | None:
        """The doctor's category as the category loader holds it, when they have one."""
        if self.category_id is None or self.category_name is None:
            return None
        return CategoryRow(self.category_id, self.category_name)


def check_columns(
    record: type[tuple[Any, ...]], statement: Select[Any], start: int = 0, stop: int | None = None
) -> None:
    """Fail at import when the record's fields and the statement's columns [start:stop] differ."""
    columns = tuple(column.key for column in statement.selected_columns)[start:stop]
    fields: tuple[str, ...] = getattr(record, "_fields", ())
    if columns != fields:
        raise RuntimeError(f"{record.__name__} fields {fields} != statement columns {columns}")
