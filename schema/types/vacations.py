"""The Vacation type: a doctor's inclusive date range that blocks some schedules."""

from __future__ import annotations

from datetime import date

import strawberry

from db.models import Vacation as VacationModel
from schema.context import Info
from schema.types.schedules import Schedule


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
