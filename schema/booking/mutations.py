"""Booking's root mutations: book a place, cancel it (patient or doctor), move it along."""

from __future__ import annotations

from typing import Any

import strawberry

from db.enums import AppointmentStatus
from resolvers.booking import appointments, book
from schema.booking.inputs import BookAppointmentInput
from schema.booking.results import (
    BookAppointmentResult,
    CancelAppointmentResult,
    SetAppointmentStatusResult,
)
from schema.platform.context import Info
from schema.platform.ids import int_id


@strawberry.type
class BookingMutation:
    @strawberry.mutation(
        description="Book a place in a session (needs a BOOK_APPOINTMENT code).",
        graphql_type=BookAppointmentResult,
    )
    async def book_appointment(self, info: Info, input: BookAppointmentInput) -> Any:
        return await info.context.answer(book.book_appointment, request=input.to_resolver())

    @strawberry.mutation(
        description="Cancel your booking before its session starts: with its manage token, or "
        "null with the token from verifyPhone for the booking's phone."
    )
    async def cancel_my_appointment(
        self, info: Info, public_id: str, manage_token: str | None = None, reason: str | None = None
    ) -> CancelAppointmentResult:
        return await info.context.answer(
            appointments.cancel_my_appointment,
            public_id=public_id,
            manage_token=manage_token,
            reason=reason,
        )

    @strawberry.mutation(
        description="Cancel a patient's booking before the session; they get an SMS."
    )
    async def cancel_appointment(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> CancelAppointmentResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            appointments.cancel_appointment, doctor=doctor, appointment_id=int_id(id), reason=reason
        )

    @strawberry.mutation(
        description="BOOKED -> ARRIVED (from the session's day) -> COMPLETED; BOOKED -> NO_SHOW "
        "or COMPLETED once the session started; NO_SHOW -> ARRIVED for a late arrival."
    )
    async def set_appointment_status(
        self, info: Info, id: strawberry.ID, status: AppointmentStatus
    ) -> SetAppointmentStatusResult:
        doctor = await info.context.require_doctor()
        return await info.context.answer(
            appointments.set_appointment_status,
            doctor=doctor,
            appointment_id=int_id(id),
            status=status,
        )
