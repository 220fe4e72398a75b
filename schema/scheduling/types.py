"""Scheduling's types: Schedule (a recurring chamber) and Vacation (days it does not run)."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Sequence
from datetime import date, time
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.enums import DoctorStatus
from db.models import Account, ScheduleRecord
from db.models import Vacation as VacationModel
from schema.platform.context import Info
from schema.platform.enums import Weekday, WeekOfMonth

if TYPE_CHECKING:
    from schema.catalogue.types import Doctor


class Unknown(enum.Enum):
    """A marker: not known here (None already means "no phone")."""

    UNKNOWN = "unknown"


UNKNOWN = Unknown.UNKNOWN


@strawberry.type(
    description="A chamber: where and when a doctor sees patients, every matching week."
)
class Schedule:
    id: strawberry.ID
    weekday: Weekday
    weeks_of_month: list[WeekOfMonth] = strawberry.field(
        description="Which occurrences of the weekday in a month; empty means every week."
    )
    start_time: time
    end_time: time | None
    fee: int = strawberry.field(description="In whole units of the local currency.")
    patient_limit: int | None = strawberry.field(description="Null means no limit.")
    consult_minutes: int = strawberry.field(
        description="The expected consultation length, for estimates until the doctor's own "
        "consultations teach a better one."
    )
    clinic_name: str | None
    medical_shop: str | None
    address: str
    booking_opens_days_before: int
    booking_closes_hours_before: int
    is_active: bool
    doctor_id: strawberry.Private[int]
    own_contact_phone: strawberry.Private[str | None]
    # The owner sees the phone that patients would be shown plus the fallback.
    owner_view: strawberry.Private[bool]
    # The doctor's phone as this view shows it, when the doctor is already at hand
    # (a doctor's own schedules list); UNKNOWN sends contactPhone to the account loader.
    fallback_phone: strawberry.Private[str | Unknown | None] = UNKNOWN

    @classmethod
    def from_model(
        cls,
        model: ScheduleRecord,
        *,
        owner_view: bool = False,
        fallback_phone: str | Unknown | None = UNKNOWN,
    ) -> Schedule:
        """From a Schedule entity or a row of its columns."""
        weeks = model.weeks_of_month
        return cls(
            id=strawberry.ID(str(model.id)),
            weekday=_WEEKDAYS[model.weekday],
            # Most schedules run every week (no weeks): skip the sort for them.
            weeks_of_month=(
                [_WEEKS[week] for week in sorted(weeks, key=_week_order)] if weeks else []
            ),
            start_time=model.start_time,
            end_time=model.end_time,
            fee=model.fee,
            patient_limit=model.patient_limit,
            consult_minutes=model.consult_minutes,
            clinic_name=model.clinic_name,
            medical_shop=model.medical_shop,
            address=model.address,
            booking_opens_days_before=model.booking_opens_days_before,
            booking_closes_hours_before=model.booking_closes_hours_before,
            is_active=model.is_active,
            doctor_id=model.doctor_id,
            own_contact_phone=model.contact_phone,
            owner_view=owner_view,
            fallback_phone=fallback_phone,
        )

    @classmethod
    def from_models(
        cls,
        models: Sequence[ScheduleRecord],
        *,
        owner_view: bool = False,
        fallback_phone: str | Unknown | None = UNKNOWN,
    ) -> list[Schedule]:
        return [
            cls.from_model(model, owner_view=owner_view, fallback_phone=fallback_phone)
            for model in models
        ]

    @strawberry.field(
        description="The schedule's own phone, else the doctor's phone if the doctor shows it.",
        graphql_type=str | None,
    )
    def contact_phone(self, info: Info) -> str | Awaitable[str | None] | None:
        if self.own_contact_phone is not None:
            return self.own_contact_phone
        if not isinstance(self.fallback_phone, Unknown):
            return self.fallback_phone
        owner_view = self.owner_view

        def shown_phone(doctor: Account | None) -> str | None:
            if doctor is None or not (owner_view or doctor.phone_visible):
                return None
            return doctor.phone

        return info.context.loaders.account_by_id.load_then(self.doctor_id, shown_phone)

    @strawberry.field(description="The doctor holding this chamber; null unless they are active.")
    async def doctor(
        self, info: Info
    ) -> Annotated[Doctor, strawberry.lazy("schema.catalogue.types")] | None:
        from schema.catalogue.types import Doctor  # the Doctor type lists schedules itself

        doctor = await info.context.loaders.account_by_id.load(self.doctor_id)
        if doctor is None or doctor.status is not DoctorStatus.ACTIVE:
            return None
        return Doctor.from_model(doctor)


# Lookups instead of Enum(value) calls: a directory page converts hundreds.
_WEEKDAYS = {day.value: day for day in Weekday}
_WEEKS = {week.value: week for week in WeekOfMonth}


def _week_order(week: int) -> int:
    # LAST (-1) sorts after FIFTH.
    return 6 if week < 0 else week


@strawberry.type(description="Dates (inclusive) on which some of a doctor's schedules do not run.")
class Vacation:
    id: strawberry.ID
    start: date
    end: date
    reason: str | None

    @classmethod
    def from_model(cls, model: VacationModel) -> Vacation:
        return cls(
            id=strawberry.ID(str(model.id)),
            start=model.start_date,
            end=model.end_date,
            reason=model.reason,
        )

    @strawberry.field(description="The schedules this vacation blocks.")
    async def schedules(self, info: Info) -> list[Schedule]:
        models = await info.context.loaders.schedules_by_vacation_id.load(int(self.id))
        return [Schedule.from_model(model, owner_view=True) for model in models]
