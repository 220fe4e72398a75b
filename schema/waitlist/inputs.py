"""The waitlist's input: the booking form's fields, for a session that is full."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.booking import book
from schema.platform.ids import int_id
from schema.platform.inputs import convert


@strawberry.input(description="A place in line for a FULL session, confirmed like a booking.")
class JoinWaitlistInput:
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

    def to_resolver(self) -> book.BookingRequest:
        return convert(
            self,
            book.BookingRequest,
            schedule_id=int_id(self.schedule_id),
            day=self.date,
            idempotency_key=None,
        )
