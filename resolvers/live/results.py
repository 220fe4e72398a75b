"""What the doctor's session-day actions answer: the session's new board, or why not."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Appointment
from resolvers.booking.results import SessionFull
from resolvers.live.board import Board
from resolvers.platform.errors import NotAllowed, NotFound, ValidationFailed


@dataclass(frozen=True, slots=True)
class LiveSessionChanged:
    live: Board


@dataclass(frozen=True, slots=True)
class Called:
    """The patient now in consultation, and the board as it stands after the call."""

    appointment: Appointment
    live: Board


@dataclass(frozen=True, slots=True)
class QueueEmpty:
    """Nobody present is waiting; the patient who was inside (if any) is done all the same."""

    live: Board
    message: str = "Nobody who has arrived is waiting to be called."


@dataclass(frozen=True, slots=True)
class WalkInAdded:
    appointment: Appointment


StartSessionResult = LiveSessionChanged | NotFound | NotAllowed
AnnounceDelayResult = LiveSessionChanged | NotFound | NotAllowed | ValidationFailed
CallNextResult = Called | QueueEmpty | NotFound | NotAllowed
AddWalkInResult = WalkInAdded | SessionFull | NotFound | NotAllowed | ValidationFailed
EndSessionResult = LiveSessionChanged | NotFound | NotAllowed
