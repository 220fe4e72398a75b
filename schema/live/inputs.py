"""The session day's inputs: a walk-in patient."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.live import walk_ins
from schema.platform.ids import int_id
from schema.platform.inputs import convert


@strawberry.input(description="A patient who walked in without booking; they start ARRIVED.")
class WalkInInput:
    schedule_id: strawberry.ID
    date: date
    patient_name: str
    patient_age: int
    patient_phone: str | None = strawberry.field(
        default=None, description="Optional: 10 digits (default country) or +<country><number>."
    )

    def to_resolver(self) -> walk_ins.WalkIn:
        return convert(self, walk_ins.WalkIn, schedule_id=int_id(self.schedule_id), day=self.date)
