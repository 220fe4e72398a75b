"""What the waitlist answers: an entry with its place in line, joining and leaving."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from db.models import Account, Schedule, WaitlistEntry
from resolvers.booking.loaders import SessionFacts
from resolvers.booking.results import (
    BookingClosed,
    BookingNotOpen,
    DoctorOnVacation,
    DuplicateBooking,
    NotAScheduledDate,
)
from resolvers.platform.calendar import Occurrence
from resolvers.platform.errors import NotFound, OtpInvalid, ValidationFailed

if TYPE_CHECKING:
    from resolvers.loaders import Loaders


@dataclass(frozen=True, slots=True)
class WaitlistView:
    """An entry and its place in line: 1 + the WAITING entries ahead; None once not WAITING."""

    entry: WaitlistEntry
    position: int | None


@dataclass(frozen=True, slots=True)
class WaitlistJoined:
    """The entry and its manage token (shown once), with what the answer reads.

    Like a booking's answer, it carries the schedule, doctor and seats read inside its
    transaction, so the answer needs no statement after the commit.
    """

    entry: WaitlistView
    manage_token: str
    schedule: Schedule
    doctor: Account
    facts: SessionFacts

    def prime_loaders(self, loaders: Loaders) -> None:
        schedule, day = self.schedule, self.entry.entry.session_date
        loaders.schedule_by_id.clear(schedule.id).prime(schedule.id, schedule)
        loaders.account_by_id.clear(self.doctor.id).prime(self.doctor.id, self.doctor)
        window = (schedule.id, day, day)
        loaders.session_facts_by_schedule_window.clear(window).prime(window, self.facts)


@dataclass(frozen=True, slots=True)
class SessionNotFull:
    session: Occurrence
    message: str = "This session still has seats: book one instead of waiting."


@dataclass(frozen=True, slots=True)
class WaitlistLeft:
    entry: WaitlistView


JoinWaitlistResult = (
    WaitlistJoined
    | SessionNotFull
    | BookingNotOpen
    | BookingClosed
    | DoctorOnVacation
    | NotAScheduledDate
    | DuplicateBooking
    | OtpInvalid
    | NotFound
    | ValidationFailed
)
