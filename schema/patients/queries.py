"""Patients' root queries: every booking of the phone signed in with verifyPhone."""

from __future__ import annotations

import strawberry

from resolvers.patients import bookings
from schema.patients.types import AppointmentConnection, appointment_connection
from schema.platform.context import Info


@strawberry.type
class PatientsQuery:
    @strawberry.field(
        description="Every appointment of the phone signed in with verifyPhone (any status), "
        "newest session first (first <= 100). Needs that phone token."
    )
    async def my_bookings(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AppointmentConnection:
        phone = info.context.require_patient()
        found = await info.context.call(bookings.my_bookings, phone=phone, first=first, after=after)
        return appointment_connection(found)
