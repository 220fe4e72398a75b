"""The session day's types: the public board of a session (no patient names or phones)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db.enums import LiveState
from resolvers.live.board import Board
from schema.platform import enums as _registered_enums  # noqa: F401 - registers LiveState


@strawberry.type(
    description="A session's live state, as the board at the chamber's door shows it: "
    "queue numbers and counts, never a patient's name or phone."
)
class LiveSession:
    state: LiveState
    started_at: datetime | None
    ended_at: datetime | None
    delay_minutes: int = strawberry.field(description="Announced delay; 0 when on time.")
    notice: str | None = strawberry.field(description="The doctor's words with the delay.")
    now_serving: int | None = strawberry.field(
        description="The queue number in consultation, if any."
    )
    waiting_count: int = strawberry.field(
        description="Patients still to be called (booked or arrived); 0 once ended."
    )
    average_consult_minutes: float = strawberry.field(
        description="Learned from the doctor's recent consultations (median, outliers "
        "clamped); the schedule's consultation length until there are enough."
    )
    updated_at: datetime | None = strawberry.field(
        description="The last change of the live state or the queue; null before any."
    )

    @classmethod
    def from_board(cls, board: Board) -> LiveSession:
        return cls(
            state=board.state,
            started_at=board.started_at,
            ended_at=board.ended_at,
            delay_minutes=board.delay_minutes,
            notice=board.notice,
            now_serving=board.now_serving,
            waiting_count=board.waiting_count,
            average_consult_minutes=board.average_consult_minutes,
            updated_at=board.updated_at,
        )
