"""The session day's root queries: the public board of one session."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.platform.calendar import check_window
from schema.live.types import LiveSession
from schema.platform.context import Info
from schema.platform.ids import int_id


@strawberry.type
class LiveQuery:
    @strawberry.field(
        description="The live board of a session, for anyone; null for an unknown session."
    )
    async def live_session(
        self, info: Info, schedule_id: strawberry.ID, date: date
    ) -> LiveSession | None:
        # A date outside the window has no session, and its times could not be computed.
        check_window(date, now=info.context.clock.now())
        board = await info.context.loaders.board_by_session.load((int_id(schedule_id), date))
        return None if board is None else LiveSession.from_board(board)
