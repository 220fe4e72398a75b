"""Scheduling's inputs: new chambers, a chamber's edit, a vacation."""

from __future__ import annotations

import dataclasses
from datetime import date, time
from typing import Any

import strawberry

from resolvers.scheduling import vacations
from resolvers.scheduling.schedule_fields import ScheduleFields, SchedulePatch
from schema.platform.enums import Weekday, WeekOfMonth
from schema.platform.ids import int_id
from schema.platform.inputs import convert


def _weeks(weeks: list[WeekOfMonth] | None) -> tuple[int, ...]:
    return tuple(week.value for week in weeks or [])


@strawberry.input(description="Chambers on several weekdays with the same weeks, time and place.")
class CreateSchedulesInput:
    weekdays: list[Weekday] = strawberry.field(description="One schedule is created per weekday.")
    start_time: time
    address: str
    fee: int = strawberry.field(description="In whole units of the local currency.")
    weeks_of_month: list[WeekOfMonth] | None = strawberry.field(
        default=None, description="Which occurrences in the month; empty or null: every week."
    )
    end_time: time | None = strawberry.field(
        default=None, description="Null: open-ended (counts as one hour for conflicts)."
    )
    booking_opens_days_before: int = 7
    booking_closes_hours_before: int = 2
    patient_limit: int | None = strawberry.field(default=None, description="Null: no limit.")
    consult_minutes: int = strawberry.field(
        default=10, description="Expected minutes per patient, for estimates (1 to 240)."
    )
    clinic_name: str | None = None
    medical_shop: str | None = None
    contact_phone: str | None = strawberry.field(
        default=None, description="Null: patients see the doctor's phone, if the doctor shows it."
    )
    all_or_nothing: bool = strawberry.field(
        default=True,
        description="True: create nothing when any weekday conflicts. False: create what fits.",
    )

    def fields(self) -> ScheduleFields:
        return convert(self, ScheduleFields, weeks_of_month=_weeks(self.weeks_of_month))


# A null for one of these leaves it as it is: a schedule cannot be without them.
_REQUIRED = frozenset(
    {
        "start_time",
        "fee",
        "address",
        "booking_opens_days_before",
        "booking_closes_hours_before",
        "consult_minutes",
    }
)


@strawberry.input(
    description="A schedule edit: an omitted field stays; null clears an optional one "
    "(and leaves a required one as it is). The weekday cannot change."
)
class UpdateScheduleInput:
    weeks_of_month: list[WeekOfMonth] | None = strawberry.UNSET
    start_time: time | None = strawberry.UNSET
    end_time: time | None = strawberry.UNSET
    booking_opens_days_before: int | None = strawberry.UNSET
    booking_closes_hours_before: int | None = strawberry.UNSET
    fee: int | None = strawberry.UNSET
    patient_limit: int | None = strawberry.UNSET
    consult_minutes: int | None = strawberry.UNSET
    clinic_name: str | None = strawberry.UNSET
    medical_shop: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    contact_phone: str | None = strawberry.UNSET

    def patch(self) -> SchedulePatch:
        changes: dict[str, Any] = {}
        for field in dataclasses.fields(SchedulePatch):
            value = getattr(self, field.name)
            if value is strawberry.UNSET or (value is None and field.name in _REQUIRED):
                continue  # left as it is
            changes[field.name] = value
        if "weeks_of_month" in changes:
            changes["weeks_of_month"] = _weeks(changes["weeks_of_month"])
        return SchedulePatch(**changes)


@strawberry.input(description="Dates (inclusive; one day is fine) and the schedules they block.")
class VacationInput:
    start: date
    end: date
    reason: str | None = None
    schedule_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Null: all your active schedules."
    )
    cancel_affected: bool = strawberry.field(
        default=False,
        description="Cancel the bookings the vacation hits, and text each patient.",
    )

    def to_resolver(self) -> vacations.VacationRequest:
        ids = self.schedule_ids
        return convert(
            self,
            vacations.VacationRequest,
            schedule_ids=None if ids is None else tuple(int_id(raw) for raw in ids),
        )
