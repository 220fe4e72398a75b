"""The session day's mutation results: the session's new board, a call, or why not."""

from __future__ import annotations

import strawberry

from resolvers.live import results as live
from schema.booking import results as _booking_results  # noqa: F401 - registers SessionFull
from schema.booking.types import Appointment
from schema.live.types import LiveSession
from schema.platform.results import answers, union_of
from schema.platform.user_errors import UserError


@answers(live.LiveSessionChanged, live=LiveSession.from_board)
@strawberry.type(description="The session's live state after the change.")
class LiveSessionChanged:
    live: LiveSession


@answers(live.Called, appointment=Appointment.from_model, live=LiveSession.from_board)
@strawberry.type(description="The patient now in consultation, and the board after the call.")
class Called:
    appointment: Appointment
    live: LiveSession


@answers(live.QueueEmpty, live=LiveSession.from_board)
@strawberry.type(
    description="Nobody who has arrived is waiting; the patient who was inside is done anyway."
)
class QueueEmpty(UserError):
    live: LiveSession


@answers(live.WalkInAdded, appointment=Appointment.from_model)
@strawberry.type(description="The walk-in's place: ARRIVED, on the next queue number.")
class WalkInAdded:
    appointment: Appointment


StartSessionResult = union_of("StartSessionResult", live.StartSessionResult)
AnnounceDelayResult = union_of("AnnounceDelayResult", live.AnnounceDelayResult)
CallNextResult = union_of("CallNextResult", live.CallNextResult)
AddWalkInResult = union_of("AddWalkInResult", live.AddWalkInResult)
EndSessionResult = union_of("EndSessionResult", live.EndSessionResult)
