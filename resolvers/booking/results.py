"""What a booking attempt can answer: the booking, or the rule that refused it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from db.models import Account, Appointment, Schedule
from resolvers.booking.loaders import SessionFacts
from resolvers.platform.calendar import Occurrence
from resolvers.platform.errors import NotFound, OtpInvalid, ValidationFailed

if TYPE_CHECKING:
    from resolvers.loaders import Loaders


@dataclass(frozen=True, slots=True)
class Booked:
    """The place, its manage token, and what the answer reads, read inside the booking.

    The schedule, its doctor and the session's facts (vacations, seats taken) come from
    the booking's own transaction, so that once it commits the answer (the appointment's
    session, doctor and canCancel) needs no database: a database that dies after the
    commit cannot turn a booking into an error that hides its manage token.
    """

    appointment: Appointment
    manage_token: str
    schedule: Schedule
    doctor: Account
    facts: SessionFacts
    replayed: bool = False

    def prime_loaders(self, loaders: Loaders) -> None:
        """Give the request's loaders what the answer reads (Context.call does, after the
        resolver returns): the committed booking's view, over anything read before it."""
        schedule, day = self.schedule, self.appointment.session_date
        loaders.schedule_by_id.clear(schedule.id).prime(schedule.id, schedule)
        loaders.account_by_id.clear(self.doctor.id).prime(self.doctor.id, self.doctor)
        window = (schedule.id, day, day)
        loaders.session_facts_by_schedule_window.clear(window).prime(window, self.facts)


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
    """The patient already holds a place: a booking, or (``existing`` None) a waitlist entry."""

    existing: Appointment | None
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
