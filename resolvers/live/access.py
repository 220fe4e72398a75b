"""Who may run a session, and the lock every session-day action takes first.

Lock order (resolvers/accounts/standing.py): the doctor's row first, then this
session's ``live_sessions`` row, then appointment rows, then the seat counter. The
live row is only ever locked under the doctor's lock, so the patients' side (which
never takes it) cannot close a cycle with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from db.enums import DoctorStatus, LiveState
from db.models import Account, LiveSession, Schedule
from resolvers.accounts.standing import lock_doctor
from resolvers.booking.sessions import current_occurrence
from resolvers.live.board import Board, read_boards
from resolvers.platform.calendar import (
    Occurrence,
    SessionStatus,
    outside_window,
    pattern_of,
    today_in,
)
from resolvers.platform.changes import SessionKey
from resolvers.platform.errors import NotAllowed, NotFound

NOT_YOURS = "No such session in your schedules."

R = TypeVar("R", NotFound, NotAllowed)


@dataclass(frozen=True, slots=True)
class OwnSession:
    """A session of the signed-in doctor, its live row locked for this transaction."""

    schedule: Schedule
    doctor: Account
    live: LiveSession
    occurrence: Occurrence
    zone: ZoneInfo
    # Everything the action writes, the live row first: a refusal rolls it back, so
    # nothing is kept and the objects read before it (the doctor) stay loaded.
    savepoint: AsyncSessionTransaction

    async def commit(self, session: AsyncSession) -> None:
        await self.savepoint.commit()
        await session.commit()

    async def finish(self, session: AsyncSession, *, changed: bool) -> Board:
        """Commit the action and answer the board; an action that changed nothing keeps
        nothing (not even a live row made for it), so its board is as it was."""
        if not changed:
            await self.savepoint.rollback()
            board = await self.board(session)
            await session.commit()
            return board
        board = await self.board(session)
        await self.commit(session)
        return board

    async def refuse(self, session: AsyncSession, refusal: R) -> R:
        """End the transaction keeping nothing of the action, and answer the refusal."""
        await self.savepoint.rollback()
        await session.commit()
        return refusal

    # Plain values: a rolled-back savepoint expires the rows changed in it.
    schedule_id: int
    day: date

    @property
    def key(self) -> SessionKey:
        return SessionKey(self.schedule_id, self.day)

    def is_today(self, now: datetime) -> bool:
        return today_in(self.zone, now) == self.day

    def cannot_start(self, now: datetime) -> NotAllowed | None:
        """Why the session cannot begin now (start, or a walk-in): the day, vacation, schedule."""
        if not self.schedule.is_active:
            return NotAllowed("This schedule is no longer active.")
        if self.occurrence.status is SessionStatus.ON_VACATION:
            return NotAllowed("You are on vacation on this date.")
        if not self.is_today(now):
            return NotAllowed("A session can only be run on its own day.")
        if self.live.state is LiveState.ENDED:
            return NotAllowed("This session has ended.")
        return None

    async def board(self, session: AsyncSession) -> Board:
        """The board as this transaction sees it (flushed changes included)."""
        await session.flush()
        found = (await read_boards(session, [(self.schedule_id, self.day)]))[0]
        assert found is not None  # the doctor is active and the session is theirs
        return found


async def own_session(
    session: AsyncSession, *, doctor: Account, schedule_id: int, day: date, now: datetime
) -> OwnSession | NotFound | NotAllowed:
    """The doctor's session on ``day`` with its live row locked, or the refusal.

    A suspended doctor gets FORBIDDEN (read under the doctor's lock); another doctor's
    schedule, or a date it has no session on, is NotFound. A refusal ends the
    transaction, so nothing of it is kept.
    """
    if outside_window(day, now=now) is not None:
        # No session runs that far off (and its times could not even be computed).
        return NotFound(NOT_YOURS)
    status = await lock_doctor(session, doctor)
    schedule = await session.scalar(
        select(Schedule).where(Schedule.id == schedule_id, Schedule.doctor_id == doctor.id)
    )
    if schedule is None or not pattern_of(schedule).falls_on(day):
        await session.commit()  # ends the transaction; nothing was written
        return NotFound(NOT_YOURS)
    if status is not DoctorStatus.ACTIVE:
        await session.commit()
        return NotAllowed("Your account is not active yet: sessions run once it is activated.")
    zone = ZoneInfo(doctor.time_zone)
    occurrence = await current_occurrence(session, schedule=schedule, zone=zone, day=day, now=now)
    savepoint = await session.begin_nested()
    live = await lock_live(session, schedule_id=schedule.id, day=day, now=now)
    return OwnSession(
        schedule=schedule,
        doctor=doctor,
        live=live,
        occurrence=occurrence,
        zone=zone,
        savepoint=savepoint,
        schedule_id=schedule.id,
        day=day,
    )


async def lock_live(
    session: AsyncSession, *, schedule_id: int, day: date, now: datetime
) -> LiveSession:
    """The session's live row, made on first use, locked FOR UPDATE until the transaction ends.

    Two first actions at once both insert; the second waits on the first's key, then
    does nothing and locks the row the first made.
    """
    await session.execute(
        insert(LiveSession)
        .values(schedule_id=schedule_id, session_date=day, updated_at=now)
        .on_conflict_do_nothing(index_elements=[LiveSession.schedule_id, LiveSession.session_date])
    )
    live = await session.scalar(
        select(LiveSession)
        .where(LiveSession.schedule_id == schedule_id, LiveSession.session_date == day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert live is not None  # just made, and never deleted
    return live
