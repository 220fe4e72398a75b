"""Vacation root fields: the dry run of who a vacation hits, saving one, removing one."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from resolvers.platform import errors as results
from resolvers.scheduling import vacations
from schema.booking.types import Appointment
from schema.platform.context import Info
from schema.platform.errors import NotAllowed, NotFound, UserError, ValidationFailed
from schema.platform.ids import int_id
from schema.scheduling.types import Vacation


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
        return vacations.VacationRequest(
            start=self.start,
            end=self.end,
            reason=self.reason,
            schedule_ids=(
                None if self.schedule_ids is None else tuple(int_id(i) for i in self.schedule_ids)
            ),
            cancel_affected=self.cancel_affected,
        )


@strawberry.type
class VacationSaved:
    vacation: Vacation
    cancelled_appointments: int


@strawberry.type(description="Another vacation already blocks some of these schedules then.")
class VacationOverlap(UserError):
    existing: list[Vacation]


@strawberry.type
class VacationDeleted:
    id: strawberry.ID


CreateVacationResult = Annotated[
    VacationSaved | VacationOverlap | NotFound | NotAllowed | ValidationFailed,
    strawberry.union("CreateVacationResult"),
]
DeleteVacationResult = Annotated[
    VacationDeleted | NotFound, strawberry.union("DeleteVacationResult")
]


@strawberry.type
class VacationQuery:
    @strawberry.field(
        description="The booked appointments (sessions not yet started) a vacation would hit."
    )
    async def vacation_impact(
        self,
        info: Info,
        input: VacationInput,  # noqa: A002 - the contract's argument name
    ) -> list[Appointment]:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            found = await vacations.vacation_impact(
                session=session, doctor=doctor, request=input.to_resolver(), now=ctx.clock.now()
            )
        return [Appointment.from_model(model) for model in found]


@strawberry.type
class VacationMutation:
    @strawberry.mutation(description="Save a vacation (an active doctor only).")
    async def create_vacation(
        self,
        info: Info,
        input: VacationInput,  # noqa: A002 - the contract's argument name
    ) -> CreateVacationResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            result = await vacations.create_vacation(
                session=session, doctor=doctor, request=input.to_resolver(), now=ctx.clock.now()
            )
        if isinstance(result, vacations.VacationSaved):
            return VacationSaved(
                vacation=Vacation.from_model(result.vacation),
                cancelled_appointments=result.cancelled_appointments,
            )
        if isinstance(result, vacations.VacationOverlap):
            return VacationOverlap(
                message=result.message,
                existing=[Vacation.from_model(model) for model in result.existing],
            )
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        if isinstance(result, results.NotAllowed):
            return NotAllowed.from_result(result)
        return ValidationFailed.from_result(result)

    @strawberry.mutation(description="Remove one of your vacations.")
    async def delete_vacation(
        self,
        info: Info,
        id: strawberry.ID,  # noqa: A002 - the contract's argument name
    ) -> DeleteVacationResult:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            result = await vacations.delete_vacation(
                session=session, doctor=doctor, vacation_id=int_id(id)
            )
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return VacationDeleted(id=strawberry.ID(str(result.vacation_id)))
