"""What a booking attempt can answer: the booking, or the rule that refused it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from db.models import Appointment
from resolvers.platform.calendar import Occurrence
from resolvers.platform.errors import NotFound, OtpInvalid, ValidationFailed


@dataclass(frozen=True, slots=True)
class Booked:
    appointment: Appointment
    manage_token: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class SessionFull:
    session: Occurrence
    message: str = "This session is full."


@dataclass(frozen=True, slots=True)
class BookingNotOpen:
    opens_at: datetime
    message: str = "Booking for this session has not opened yet."


@dataclass(frozen=True, slots=True)
class BookingClosed:
    closed_at: datetime
    message: str = "Booking for this session has closed."


@dataclass(frozen=True, slots=True)
class DoctorOnVacation:
    until: date
    message: str = "The doctor is on vacation on this date."


@dataclass(frozen=True, slots=True)
class NotAScheduledDate:
    next_session: Occurrence | None
    message: str = "This schedule has no session on this date."


@dataclass(frozen=True, slots=True)
class DuplicateBooking:
    existing: Appointment
    message: str = "This patient is already booked into this session."


BookingResult = (
    Booked
    | SessionFull
    | BookingNotOpen
    | BookingClosed
    | DoctorOnVacation
    | NotAScheduledDate
    | DuplicateBooking
    | OtpInvalid
    | NotFound
    | ValidationFailed
)
