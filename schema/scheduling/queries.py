"""Scheduling's root queries: who a vacation would hit, before it is saved."""

from __future__ import annotations

import strawberry

from resolvers.scheduling import vacations
from schema.booking.types import Appointment
from schema.platform.context import Info
from schema.scheduling.inputs import VacationInput


@strawberry.type
class SchedulingQuery:
    @strawberry.field(
        description="The booked appointments (sessions not yet started) a vacation would hit."
    )
    async def vacation_impact(self, info: Info, input: VacationInput) -> list[Appointment]:
        ctx = info.context
        doctor = await ctx.require_doctor()
        async with ctx.db.use() as session:
            found = await vacations.vacation_impact(
                session=session, doctor=doctor, request=input.to_resolver(), now=ctx.clock.now()
            )
        return [Appointment.from_model(model) for model in found]
