"""Schedule root fields: a doctor creates chambers for several weekdays, edits and deletes them."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

import strawberry

from resolvers.platform import errors as results
from resolvers.scheduling import schedules
from resolvers.scheduling.schedule_fields import KEEP, ScheduleFields, SchedulePatch
from schema.platform.context import Info
from schema.platform.enums import Weekday, WeekOfMonth
from schema.platform.errors import NotAllowed, NotFound, UserError, ValidationFailed
from schema.platform.ids import int_id
from schema.scheduling.types import Schedule


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
        return ScheduleFields(
            weeks_of_month=tuple(week.value for week in self.weeks_of_month or []),
            start_time=self.start_time,
            end_time=self.end_time,
            fee=self.fee,
            address=self.address,
            booking_opens_days_before=self.booking_opens_days_before,
            booking_closes_hours_before=self.booking_closes_hours_before,
            patient_limit=self.patient_limit,
            clinic_name=self.clinic_name,
            medical_shop=self.medical_shop,
            contact_phone=self.contact_phone,
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
    clinic_name: str | None = strawberry.UNSET
    medical_shop: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    contact_phone: str | None = strawberry.UNSET

    def patch(self) -> SchedulePatch:
        weeks = self.weeks_of_month
        return SchedulePatch(
            weeks_of_month=KEEP
            if weeks is strawberry.UNSET
            else tuple(w.value for w in weeks or []),
            start_time=_required(self.start_time),
            end_time=_optional(self.end_time),
            booking_opens_days_before=_required(self.booking_opens_days_before),
            booking_closes_hours_before=_required(self.booking_closes_hours_before),
            fee=_required(self.fee),
            patient_limit=_optional(self.patient_limit),
            clinic_name=_optional(self.clinic_name),
            medical_shop=_optional(self.medical_shop),
            address=_required(self.address),
            contact_phone=_optional(self.contact_phone),
        )


def _required(value: Any) -> Any:
    return KEEP if value is strawberry.UNSET or value is None else value


def _optional(value: Any) -> Any:
    return KEEP if value is strawberry.UNSET else value


@strawberry.type(description="A weekday and week that was not created, and what it collides with.")
class WeekConflict:
    weekday: Weekday
    week_of_month: WeekOfMonth | None = strawberry.field(
        description="The week where they meet; null when both run every week. For a new "
        "every-week schedule these are the other schedule's weeks."
    )
    conflicts_with: Schedule

    @classmethod
    def from_result(cls, result: schedules.ConflictingWeek) -> WeekConflict:
        return cls(
            weekday=Weekday(result.weekday),
            week_of_month=None if result.week is None else WeekOfMonth(result.week),
            conflicts_with=Schedule.from_model(result.existing, owner_view=True),
        )


@strawberry.type(description="The schedules created, and the weekdays that conflicted.")
class SchedulesCreated:
    created: list[Schedule]
    conflicts: list[WeekConflict]

    @classmethod
    def from_result(cls, result: schedules.SchedulesCreated) -> SchedulesCreated:
        return cls(
            created=[Schedule.from_model(model, owner_view=True) for model in result.created],
            conflicts=[WeekConflict.from_result(item) for item in result.conflicts],
        )


@strawberry.type(description="The edit would make the schedule overlap others of yours.")
class ScheduleConflict(UserError):
    conflicts_with: list[Schedule]


@strawberry.type
class ScheduleUpdated:
    schedule: Schedule
    notified_appointments: int = strawberry.field(
        description="Patients told by SMS that the time or place of their session changed."
    )


@strawberry.type
class ScheduleDeleted:
    id: strawberry.ID
    cancelled_appointments: int = strawberry.field(
        description="Future bookings cancelled (each patient gets an SMS)."
    )


CreateSchedulesResult = Annotated[
    SchedulesCreated | NotAllowed | ValidationFailed, strawberry.union("CreateSchedulesResult")
]
UpdateScheduleResult = Annotated[
    ScheduleUpdated | ScheduleConflict | NotFound | ValidationFailed,
    strawberry.union("UpdateScheduleResult"),
]
DeleteScheduleResult = Annotated[
    ScheduleDeleted | NotFound, strawberry.union("DeleteScheduleResult")
]


@strawberry.type
class SchedulingMutation:
    @strawberry.mutation(description="Create one schedule per weekday (an active doctor only).")
    async def create_schedules(
        self,
        info: Info,
        input: CreateSchedulesInput,  # noqa: A002 - the contract's argument name
    ) -> CreateSchedulesResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            result = await schedules.create_schedules(
                session=session,
                doctor=doctor,
                weekdays=[weekday.value for weekday in input.weekdays],
                fields=input.fields(),
                all_or_nothing=input.all_or_nothing,
                default_country_code=ctx.settings.default_country_code,
            )
        if isinstance(result, results.NotAllowed):
            return NotAllowed.from_result(result)
        if isinstance(result, results.ValidationFailed):
            return ValidationFailed.from_result(result)
        return SchedulesCreated.from_result(result)

    @strawberry.mutation(description="Edit a schedule; booked patients hear of time/place changes.")
    async def update_schedule(
        self,
        info: Info,
        id: strawberry.ID,  # noqa: A002 - the contract's argument name
        input: UpdateScheduleInput,  # noqa: A002
    ) -> UpdateScheduleResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            result = await schedules.update_schedule(
                session=session,
                doctor=doctor,
                schedule_id=int_id(id),
                patch=input.patch(),
                now=ctx.clock.now(),
                default_country_code=ctx.settings.default_country_code,
            )
        if isinstance(result, schedules.ScheduleUpdated):
            return ScheduleUpdated(
                schedule=Schedule.from_model(result.schedule, owner_view=True),
                notified_appointments=result.notified_appointments,
            )
        if isinstance(result, schedules.ScheduleConflict):
            return ScheduleConflict(
                message=result.message,
                conflicts_with=[
                    Schedule.from_model(s, owner_view=True) for s in result.conflicts_with
                ],
            )
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return ValidationFailed.from_result(result)

    @strawberry.mutation(
        description="Deactivate a schedule: its future bookings are cancelled, patients told."
    )
    async def delete_schedule(
        self,
        info: Info,
        id: strawberry.ID,  # noqa: A002 - the contract's argument name
        reason: str | None = None,
    ) -> DeleteScheduleResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            result = await schedules.delete_schedule(
                session=session,
                doctor=doctor,
                schedule_id=int_id(id),
                reason=reason,
                now=ctx.clock.now(),
            )
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return ScheduleDeleted(
            id=strawberry.ID(str(result.schedule_id)),
            cancelled_appointments=result.cancelled_appointments,
        )
