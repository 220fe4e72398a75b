"""Patients' mutation results: a phone token, a moved booking, and the unions they answer in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers.patients import reschedule, sign_in
from schema.booking import results as _booking_results  # noqa: F401 - registers booking's answers
from schema.booking.types import Appointment
from schema.platform.results import answers, union_of
from schema.platform.user_errors import OtpInvalid, ValidationFailed


@answers(sign_in.PhoneVerified)
@strawberry.type(
    description="A short-lived token for this phone only: its bookings, to list, cancel or move."
)
class PhoneVerified:
    access_token: str = strawberry.field(
        description='Send as "Authorization: Bearer <accessToken>"; it opens nothing else.'
    )
    expires_at: datetime
    phone: str = strawberry.field(description="The phone signed in, in E.164.")

    @classmethod
    def from_result(cls, result: sign_in.PhoneVerified) -> PhoneVerified:
        token = result.token
        return cls(access_token=token.token, expires_at=token.expires_at, phone=token.phone)


@answers(
    reschedule.Rescheduled, appointment=Appointment.from_model, previous=Appointment.from_model
)
@strawberry.type(
    description="The booking moved: a new appointment with its own manage token (shown only "
    'here), and the old one, cancelled with reason "rescheduled".'
)
class Rescheduled:
    manage_token: str = strawberry.field(
        description="Needed to view or cancel the new appointment; stored only as a hash."
    )
    replayed: bool = strawberry.field(
        description="True when this answers a retry with an idempotency key already used."
    )
    appointment: Appointment
    previous: Appointment


VerifyPhoneResult = Annotated[
    PhoneVerified | OtpInvalid | ValidationFailed, strawberry.union("VerifyPhoneResult")
]
# Declared once, by the resolver: every answer of a move, in order.
RescheduleResult = union_of("RescheduleResult", reschedule.RescheduleResult)
