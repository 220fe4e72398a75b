"""Patients' root queries: every booking and waitlist entry of a phone signed in by code."""

from __future__ import annotations

import strawberry

from resolvers.patients import bookings
from resolvers.waitlist.entries import waitlist_of_phone
from schema.patients.types import AppointmentConnection, appointment_connection
from schema.platform.context import Info
from schema.waitlist.types import WaitlistEntry


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

    @strawberry.field(
        description="Every waitlist entry of the phone signed in with verifyPhone (any status), "
        "newest session first. Needs that phone token."
    )
    async def my_waitlist(self, info: Info) -> list[WaitlistEntry]:
        phone = info.context.require_patient()
        found = await info.context.call(waitlist_of_phone, phone=phone)
        return [WaitlistEntry.from_view(view) for view in found]
