"""Live subscriptions (graphql-transport-ws): each sends the current state, then every change.

A stream watches its session's key in the worker's hub (resolvers/platform/hub.py).
When the session is announced (or resynced) it reads the state again and yields it;
the transport sends it only when it differs from the last value sent
(schema/platform/transport.py). The session's board is read once per change for
every stream of that session in the worker (``Watch.shared``), the patients' own
streams included (it is primed into their loaders); between two values a stream
holds no database connection (``Context.renew``), and it never holds one while it
waits for the shared read's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import date
from typing import TypeVar

import strawberry

from db.enums import AppointmentStatus
from db.models import Appointment as AppointmentRow
from db.outage import is_database_unavailable
from resolvers.booking import appointments
from resolvers.live.board import Board, session_board
from resolvers.platform.calendar import check_window
from resolvers.platform.changes import SessionKey
from resolvers.platform.errors import Forbidden
from resolvers.platform.hub import Hub, Watch
from schema.booking.types import Appointment
from schema.live.types import LiveSession
from schema.platform.context import Context, Info
from schema.platform.ids import int_id

logger = logging.getLogger("medimyth.live")
T = TypeVar("T")

# Nothing changes an appointment in these statuses any more, nor anything once its
# session has ended: the patient's stream ends there. (NO_SHOW is not final while the
# session runs: a late patient may still arrive.)
FINAL_STATUSES = frozenset(
    {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_DOCTOR,
    }
)
NO_SUCH_APPOINTMENT = "No appointment matches this public id and manage token."


def _hub(ctx: Context) -> Hub:
    assert ctx.hub is not None  # subscriptions arrive only over WebSockets, which have one
    return ctx.hub


async def _board(ctx: Context, key: SessionKey) -> Board | None:
    """The board on a session of its own: the read is shared, so no subscriber's session."""
    assert ctx.sessions is not None
    db = ctx.sessions()
    db.only_reads()
    try:
        async with db.use() as session:
            return await session_board(
                session=session, schedule_id=key.schedule_id, day=key.day, now=ctx.clock.now()
            )
    finally:
        await db.close()


async def _read(ctx: Context, watch: Watch, read: Callable[[], Awaitable[T]]) -> T:
    """``read()``, waiting out a database restart: the reconnect (or a poll) wakes us again."""
    while True:
        try:
            return await read()
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            await ctx.renew()
            await watch.changed()


def _agrees(appointment: AppointmentRow, board: Board) -> bool:
    """Whether the board's queue shows the appointment as the row does (one moment in time)."""
    return any(
        entry.queue_number == appointment.queue_number and entry.status is appointment.status
        for entry in board.queue
    )


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(
        description="The live board of a session, now and on every change, for anyone (no "
        "patient names); null for an unknown session. Ends when the session has ended."
    )
    async def live_session(
        self, info: Info, schedule_id: strawberry.ID, date: date
    ) -> AsyncGenerator[LiveSession | None, None]:
        ctx = info.context
        check_window(date, now=ctx.clock.now())  # as the query: no session that far off
        key = SessionKey(int_id(schedule_id), date)
        async with _hub(ctx).watch(key) as watch:
            while True:
                board = await _read(
                    ctx, watch, lambda: watch.shared("board", lambda: _board(ctx, key))
                )
                yield None if board is None else LiveSession.from_board(board)
                if board is None or board.ended:
                    return
                await watch.changed()

    @strawberry.subscription(
        description="Your booking, now and whenever it, your place or its estimate changes; "
        "ends when the appointment is final or its session has ended. Needs the manage token."
    )
    async def my_appointment(
        self, info: Info, public_id: str, manage_token: str
    ) -> AsyncGenerator[Appointment, None]:
        ctx = info.context

        async def current() -> tuple[AppointmentRow | None, Board | None]:
            async with watch.paced():
                found = await ctx.call(
                    appointments.managed_appointment,
                    public_id=public_id,
                    manage_token=manage_token,
                )
                # Its connection goes back before the shared read takes one: streams each
                # holding one while waiting for a second would hold the whole pool, and
                # wait until the pool's timeout failed them all.
                await ctx.db.close()
            if found is None:
                return None, None
            board = await watch.shared("board", lambda: _board(ctx, key))
            return found, board

        found = await ctx.call(
            appointments.managed_appointment, public_id=public_id, manage_token=manage_token
        )
        if found is None:
            raise Forbidden(NO_SUCH_APPOINTMENT)
        await ctx.renew()
        key = SessionKey(found.schedule_id, found.session_date)
        async with _hub(ctx).watch(key) as watch:
            while True:
                appointment, board = await _read(ctx, watch, current)
                if appointment is None:
                    return  # the token no longer matches (nothing rotates it today)
                if board is not None and not _agrees(appointment, board):
                    # The shared board was read before a change this row already shows:
                    # that change's notification (or the next poll) brings a board that
                    # agrees; a mixed value would show a place the queue never had.
                    await ctx.renew()
                    await watch.changed()
                    continue
                # Its live fields read the board this stream shares with the others.
                ctx.loaders.board_by_session.prime((key.schedule_id, key.day), board)
                yield Appointment.from_model(appointment)
                await ctx.renew()
                if appointment.status in FINAL_STATUSES or (board is not None and board.ended):
                    return
                await watch.changed()
