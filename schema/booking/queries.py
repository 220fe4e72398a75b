"""Booking's root queries: sessions across doctors, a patient's booking, a doctor's session list."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.booking import appointments, sessions
from resolvers.platform.pagination import Page
from schema.booking.inputs import SessionFilter
from schema.booking.types import Appointment, SessionConnection, session_connection
from schema.platform.context import Info
from schema.platform.ids import int_id
from schema.platform.lookahead import Lookahead


@strawberry.type
class BookingQuery:
    @strawberry.field(
        description="Sessions of active doctors, by start time, a page at a time (first <= 100)."
    )
    async def find_sessions(
        self, info: Info, filter: SessionFilter, first: int | None = None, after: str | None = None
    ) -> SessionConnection:
        ctx = info.context
        session_filter = filter.to_resolver()
        if session_filter.only_bookable:
            async with ctx.db.use() as session:
                bookable = await sessions.find_bookable_sessions(
                    session=session,
                    session_filter=session_filter,
                    first=first,
                    after=after,
                    now=ctx.clock.now(),
                    count=Lookahead(info).selects("totalCount"),
                )
            for item in bookable.items:
                ctx.loaders.schedule_by_id.prime(item.schedule.id, item.schedule)
            occurrences = [item.occurrence for item in bookable.items]
            return session_connection(
                Page(
                    items=occurrences,
                    offset=bookable.offset,
                    has_next_page=bookable.has_next_page,
                    total_count=bookable.total_count,
                )
            )
        async with ctx.db.use() as session:
            found = await sessions.searchable_schedules(
                session=session, session_filter=session_filter
            )
        for _, doctor in found:
            ctx.loaders.account_by_id.prime(doctor.id, doctor)
        page = await sessions.find_sessions(
            ctx.loaders,
            schedules=found,
            session_filter=session_filter,
            first=first,
            after=after,
            now=ctx.clock.now(),
        )
        return session_connection(page)

    @strawberry.field(description="A booking, for whoever holds its manage token; else null.")
    async def my_appointment(
        self, info: Info, public_id: str, manage_token: str
    ) -> Appointment | None:
        async with info.context.db.use() as session:
            found = await appointments.managed_appointment(
                session=session,
                public_id=public_id,
                manage_token=manage_token,
                keyring=info.context.keyring,
            )
        return None if found is None else Appointment.from_model(found)

    @strawberry.field(
        description="Everyone booked into one of your sessions, by queue number (cancelled too). "
        "Another doctor's schedule gives an empty list."
    )
    async def session_appointments(
        self, info: Info, schedule_id: strawberry.ID, date: date
    ) -> list[Appointment]:
        doctor = await info.context.require_doctor()
        async with info.context.db.use() as session:
            found = await appointments.session_appointments(
                session=session, doctor_id=doctor.id, schedule_id=int_id(schedule_id), day=date
            )
        return [Appointment.from_model(model) for model in found]
