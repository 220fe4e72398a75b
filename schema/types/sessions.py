"""The Session type: one schedule on one date, computed, with its booking window and seats."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from resolvers.calendar import Occurrence
from resolvers.calendar import SessionStatus as SessionStatusValue
from schema.context import Info
from schema.types.schedules import Schedule

SessionStatus = strawberry.enum(
    SessionStatusValue,
    description="Whether a session can be booked now: window, seats and vacations decide.",
)


@strawberry.type(
    description="One occurrence of a schedule on a date. Instants carry the doctor's offset."
)
class Session:
    date: date
    starts_at: datetime
    ends_at: datetime | None = strawberry.field(description="Null for an open-ended schedule.")
    booking_opens_at: datetime
    booking_closes_at: datetime = strawberry.field(
        description="Bookings are accepted from bookingOpensAt until just before this instant."
    )
    capacity: int | None = strawberry.field(description="Null means no limit.")
    booked_count: int
    remaining: int | None = strawberry.field(description="Null when capacity is unlimited.")
    status: SessionStatusValue
    schedule_id: strawberry.Private[int]

    @classmethod
    def from_occurrence(cls, item: Occurrence) -> Session:
        times = item.times
        return cls(
            date=item.day,
            starts_at=times.local(times.starts_at),
            ends_at=None if times.ends_at is None else times.local(times.ends_at),
            booking_opens_at=times.local(times.opens_at),
            booking_closes_at=times.local(times.closes_at),
            capacity=item.capacity,
            booked_count=item.booked_count,
            remaining=item.remaining,
            status=item.status,
            schedule_id=item.schedule_id,
        )

    @strawberry.field
    async def schedule(self, info: Info) -> Schedule:
        model = await info.context.loaders.schedule_by_id.load(self.schedule_id)
        # A session only exists for a schedule that was loaded to compute it.
        assert model is not None
        return Schedule.from_model(model)
