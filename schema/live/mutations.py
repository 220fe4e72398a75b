"""The session day's root mutations: the doctor starts, delays, calls, adds walk-ins, ends."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from resolvers.live import running, walk_ins
from schema.live.inputs import WalkInInput
from schema.live.results import (
    AddWalkInResult,
    AnnounceDelayResult,
    CallNextResult,
    EndSessionResult,
    StartSessionResult,
)
from schema.platform.context import Info
from schema.platform.ids import int_id


@strawberry.type
class LiveMutation:
    @strawberry.mutation(
        description="Open your session on its day (before or after its time); booked patients "
        "are told by SMS.",
        graphql_type=StartSessionResult,
    )
    async def start_session(self, info: Info, schedule_id: strawberry.ID, date: date) -> Any:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            running.start_session, doctor=doctor, schedule_id=int_id(schedule_id), day=date
        )

    @strawberry.mutation(
        description="Announce a delay in minutes (0 clears it) from booking-open until the "
        "session ends; a change of 15 minutes or more is texted to booked patients.",
        graphql_type=AnnounceDelayResult,
    )
    async def announce_delay(
        self,
        info: Info,
        schedule_id: strawberry.ID,
        date: date,
        minutes: int,
        notice: str | None = None,
    ) -> Any:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            running.announce_delay,
            doctor=doctor,
            schedule_id=int_id(schedule_id),
            day=date,
            minutes=minutes,
            notice=notice,
        )

    @strawberry.mutation(
        description="The patient inside is done; the lowest-numbered ARRIVED patient is called.",
        graphql_type=CallNextResult,
    )
    async def call_next(self, info: Info, schedule_id: strawberry.ID, date: date) -> Any:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            running.call_next, doctor=doctor, schedule_id=int_id(schedule_id), day=date
        )

    @strawberry.mutation(
        description="Add a walk-in: the next queue number (within the patient limit), ARRIVED.",
        graphql_type=AddWalkInResult,
    )
    async def add_walk_in(self, info: Info, input: WalkInInput) -> Any:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            walk_ins.add_walk_in, doctor=doctor, walk_in=input.to_resolver()
        )

    @strawberry.mutation(
        description="Close the session: the patient inside is done, the booked who never came "
        "are NO_SHOW; arrived patients never called stay ARRIVED.",
        graphql_type=EndSessionResult,
    )
    async def end_session(self, info: Info, schedule_id: strawberry.ID, date: date) -> Any:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            running.end_session, doctor=doctor, schedule_id=int_id(schedule_id), day=date
        )
