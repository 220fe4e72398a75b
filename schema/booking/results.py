"""Booking's mutation results: the booking or the rule that refused it, and appointment changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from resolvers.booking import appointments
from resolvers.booking import results as booking
from schema.booking.types import Appointment, Session
from schema.platform.results import answers, optional, union_of
from schema.platform.user_errors import NotAllowed, NotFound, UserError


@answers(booking.Booked, appointment=Appointment.from_model)
@strawberry.type(description="The place is yours. Keep the manage token: it is shown only here.")
class Booked:
    manage_token: str = strawberry.field(
        description="Needed to view or cancel the booking; stored only as a hash."
    )
    replayed: bool = strawberry.field(
        description="True when this answers a retry with an idempotency key already used."
    )
    appointment: Appointment


@answers(booking.SessionFull, session=Session.from_occurrence)
@strawberry.type
class SessionFull(UserError):
    session: Session


@answers(booking.BookingNotOpen)
@strawberry.type
class BookingNotOpen(UserError):
    opens_at: datetime


@answers(booking.BookingClosed)
@strawberry.type
class BookingClosed(UserError):
    closed_at: datetime


@answers(booking.DoctorOnVacation)
@strawberry.type
class DoctorOnVacation(UserError):
    until: date = strawberry.field(description="The last day of the vacation.")


@answers(booking.NotAScheduledDate, next_session=optional(Session.from_occurrence))
@strawberry.type
class NotAScheduledDate(UserError):
    next_session: Session | None = strawberry.field(
        description="The schedule's next session that is not over, within 60 days."
    )


@answers(booking.DuplicateBooking, existing=optional(Appointment.from_model))
@strawberry.type
class DuplicateBooking(UserError):
    existing: Appointment | None = strawberry.field(
        description="The booking the patient holds in this session; null when what they hold "
        "is a place on its waitlist."
    )


@answers(appointments.AppointmentCancelled, appointment=Appointment.from_model)
@strawberry.type
class AppointmentCancelled:
    appointment: Appointment


@answers(appointments.AppointmentUpdated, appointment=Appointment.from_model)
@strawberry.type
class AppointmentUpdated:
    appointment: Appointment


# Declared once, by the resolver: every answer of a booking attempt, in order.
BookAppointmentResult = union_of("BookAppointmentResult", booking.BookingResult)
CancelAppointmentResult = Annotated[
    AppointmentCancelled | NotFound | NotAllowed, strawberry.union("CancelAppointmentResult")
]
SetAppointmentStatusResult = Annotated[
    AppointmentUpdated | NotFound | NotAllowed, strawberry.union("SetAppointmentStatusResult")
]
