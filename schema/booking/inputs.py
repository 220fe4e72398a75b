"""Booking's inputs: the session search filter and the booking form."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.booking import book, sessions
from schema.platform.ids import int_id
from schema.platform.inputs import convert


@strawberry.input(description="Sessions of active doctors in a date range (at most 62 days).")
class SessionFilter:
    from_: date = strawberry.field(name="from")
    to: date
    category_ids: list[strawberry.ID] | None = None
    city: str | None = None
    only_bookable: bool = strawberry.field(
        default=False, description="Only sessions that are OPEN now (window open, seats left)."
    )

    def to_resolver(self) -> sessions.SessionFilter:
        return convert(
            self,
            sessions.SessionFilter,
            start=self.from_,
            end=self.to,
            category_ids=tuple(int_id(raw) for raw in self.category_ids or []),
        )


@strawberry.input(description="A place in one session, confirmed by a code sent to the phone.")
class BookAppointmentInput:
    schedule_id: strawberry.ID
    date: date
    patient_name: str
    patient_age: int
    patient_phone: str = strawberry.field(
        description="10 digits (default country) or +<country><number>."
    )
    otp_code: str = strawberry.field(
        description="The code from requestOtp(patientPhone, BOOK_APPOINTMENT)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any unique string per booking attempt: retrying with the same key and "
        "the same input returns the first answer (manage token included).",
    )

    def to_resolver(self) -> book.BookingRequest:
        return convert(
            self, book.BookingRequest, schedule_id=int_id(self.schedule_id), day=self.date
        )
