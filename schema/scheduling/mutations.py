"""Scheduling's root mutations: a doctor's chambers for several weekdays, edits, vacations."""

from __future__ import annotations

import strawberry

from resolvers.scheduling import schedules, vacations
from schema.platform.context import Info
from schema.platform.ids import int_id
from schema.scheduling.inputs import CreateSchedulesInput, UpdateScheduleInput, VacationInput
from schema.scheduling.results import (
    CreateSchedulesResult,
    CreateVacationResult,
    DeleteScheduleResult,
    DeleteVacationResult,
    UpdateScheduleResult,
)


@strawberry.type
class SchedulingMutation:
    @strawberry.mutation(description="Create one schedule per weekday (an active doctor only).")
    async def create_schedules(
        self, info: Info, input: CreateSchedulesInput
    ) -> CreateSchedulesResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            schedules.create_schedules,
            doctor=doctor,
            weekdays=[weekday.value for weekday in input.weekdays],
            fields=input.fields(),
            all_or_nothing=input.all_or_nothing,
        )

    @strawberry.mutation(description="Edit a schedule; booked patients hear of time/place changes.")
    async def update_schedule(
        self, info: Info, id: strawberry.ID, input: UpdateScheduleInput
    ) -> UpdateScheduleResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            schedules.update_schedule, doctor=doctor, schedule_id=int_id(id), patch=input.patch()
        )

    @strawberry.mutation(
        description="Deactivate a schedule: its future bookings are cancelled, patients told."
    )
    async def delete_schedule(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> DeleteScheduleResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            schedules.delete_schedule, doctor=doctor, schedule_id=int_id(id), reason=reason
        )

    @strawberry.mutation(description="Save a vacation (an active doctor only).")
    async def create_vacation(self, info: Info, input: VacationInput) -> CreateVacationResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            vacations.create_vacation, doctor=doctor, request=input.to_resolver()
        )

    @strawberry.mutation(description="Remove one of your vacations.")
    async def delete_vacation(self, info: Info, id: strawberry.ID) -> DeleteVacationResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            vacations.delete_vacation, doctor=doctor, vacation_id=int_id(id)
        )
