"""The public board of a session: its live state and queue counts, never a patient's name.

``session_board`` is what the board query, ``Session.liveSession``, the patient's
estimates and the subscriptions read. ``read_boards`` reads any number of sessions
in four statements (schedules, live rows, queue entries, consultation history).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, LiveState
from db.models import Account, Appointment, LiveSession, Schedule
from resolvers.catalogue.doctors import is_public
from resolvers.live.estimates import (
    HISTORY,
    QueueEntry,
    average_consult_minutes,
    waiting_count,
)
from resolvers.platform.calendar import WeeklyPattern, local_instant

BoardKey = tuple[int, date]


@dataclass(frozen=True, slots=True)
class Board:
    """One session's live state as anyone may see it (queue numbers and statuses only)."""

    schedule_id: int
    day: date
    state: LiveState
    started_at: datetime | None
    ended_at: datetime | None
    delay_minutes: int
    notice: str | None
    now_serving: int | None
    waiting_count: int
    average_consult_minutes: float
    updated_at: datetime | None
    starts_at: datetime
    time_zone: str
    queue: tuple[QueueEntry, ...]

    @property
    def ended(self) -> bool:
        return self.state is LiveState.ENDED


@dataclass(frozen=True, slots=True)
class _Chamber:
    schedule_id: int
    doctor_id: int
    pattern: WeeklyPattern
    start_time: time
    is_active: bool
    consult_minutes: int
    time_zone: str


async def session_board(
    *, session: AsyncSession, schedule_id: int, day: date, now: datetime
) -> Board | None:
    """The board of one session; None for an unknown schedule, a doctor the public cannot see,
    or a date the schedule has no session on (and never had a live state).

    ``now`` is the caller's clock: the board is stored state and does not depend on it,
    but what is computed from it (a patient's estimate) does, so callers pass one clock.
    """
    del now
    return (await read_boards(session, [(schedule_id, day)]))[0]


async def read_boards(session: AsyncSession, keys: Sequence[BoardKey]) -> list[Board | None]:
    """The boards of these sessions, in key order (None where there is none)."""
    if not keys:
        return []
    chambers = await _chambers(session, sorted({schedule_id for schedule_id, _ in keys}))
    wanted = sorted({key for key in keys if key[0] in chambers})
    if not wanted:
        return [None for _ in keys]
    lives = await _live_rows(session, wanted)
    queues, touched = await _queues(session, wanted)
    durations = await consultation_history(
        session, sorted({chamber.doctor_id for chamber in chambers.values()})
    )
    found: list[Board | None] = []
    for schedule_id, day in keys:
        chamber = chambers.get(schedule_id)
        live = lives.get((schedule_id, day))
        if chamber is None or (
            live is None and not (chamber.is_active and chamber.pattern.falls_on(day))
        ):
            found.append(None)
            continue
        found.append(
            _board(
                chamber,
                day,
                live=live,
                queue=tuple(queues.get((schedule_id, day), ())),
                touched=touched.get((schedule_id, day)),
                durations=durations.get(chamber.doctor_id, []),
            )
        )
    return found


def _board(
    chamber: _Chamber,
    day: date,
    *,
    live: LiveSession | None,
    queue: tuple[QueueEntry, ...],
    touched: datetime | None,
    durations: list[timedelta],
) -> Board:
    state = live.state if live is not None else LiveState.NOT_STARTED
    moments = [moment for moment in (touched, live.updated_at if live else None) if moment]
    return Board(
        schedule_id=chamber.schedule_id,
        day=day,
        state=state,
        started_at=live.started_at if live else None,
        ended_at=live.ended_at if live else None,
        delay_minutes=live.delay_minutes if live else 0,
        notice=live.notice if live else None,
        now_serving=live.now_serving if live else None,
        # Once the session ended nobody more is called, whoever is still listed.
        waiting_count=0 if state is LiveState.ENDED else waiting_count(queue),
        average_consult_minutes=average_consult_minutes(
            durations, default_minutes=chamber.consult_minutes
        ),
        updated_at=max(moments) if moments else None,
        starts_at=local_instant(day, chamber.start_time, ZoneInfo(chamber.time_zone)),
        time_zone=chamber.time_zone,
        queue=queue,
    )


async def _chambers(session: AsyncSession, schedule_ids: list[int]) -> dict[int, _Chamber]:
    rows = (
        await session.execute(
            select(
                Schedule.id,
                Schedule.doctor_id,
                Schedule.weekday,
                Schedule.weeks_of_month,
                Schedule.start_time,
                Schedule.is_active,
                Schedule.consult_minutes,
                Account.time_zone,
            )
            .join(Account, Account.id == Schedule.doctor_id)
            .where(Schedule.id.in_(schedule_ids), is_public())
        )
    ).all()
    return {
        row.id: _Chamber(
            schedule_id=row.id,
            doctor_id=row.doctor_id,
            pattern=WeeklyPattern(row.weekday, frozenset(row.weeks_of_month)),
            start_time=row.start_time,
            is_active=row.is_active,
            consult_minutes=row.consult_minutes,
            time_zone=row.time_zone,
        )
        for row in rows
    }


async def _live_rows(session: AsyncSession, keys: list[BoardKey]) -> dict[BoardKey, LiveSession]:
    found = await session.scalars(
        select(LiveSession).where(
            tuple_(LiveSession.schedule_id, LiveSession.session_date).in_(keys)
        )
    )
    return {(live.schedule_id, live.session_date): live for live in found}


async def _queues(
    session: AsyncSession, keys: list[BoardKey]
) -> tuple[dict[BoardKey, list[QueueEntry]], dict[BoardKey, datetime]]:
    """Each session's queue (number and status, by number) and its latest change."""
    rows = (
        await session.execute(
            select(
                Appointment.schedule_id,
                Appointment.session_date,
                Appointment.queue_number,
                Appointment.status,
                Appointment.updated_at,
            )
            .where(tuple_(Appointment.schedule_id, Appointment.session_date).in_(keys))
            .order_by(Appointment.queue_number)
        )
    ).all()
    queues: dict[BoardKey, list[QueueEntry]] = defaultdict(list)
    touched: dict[BoardKey, datetime] = {}
    for schedule_id, day, number, status, updated_at in rows:
        key = (schedule_id, day)
        queues[key].append(QueueEntry(number, status))
        touched[key] = max(touched.get(key, updated_at), updated_at)
    return queues, touched


async def consultation_history(
    session: AsyncSession, doctor_ids: list[int]
) -> dict[int, list[timedelta]]:
    """Each doctor's most recent consultation lengths (IN_CONSULTATION to COMPLETED), newest
    first, at most HISTORY of them: one statement for all the doctors."""
    if not doctor_ids:
        return {}
    ranked = (
        select(
            Schedule.doctor_id.label("doctor_id"),
            (Appointment.completed_at - Appointment.called_at).label("length"),
            func.row_number()
            .over(partition_by=Schedule.doctor_id, order_by=Appointment.completed_at.desc())
            .label("rank"),
        )
        .join(Schedule, Schedule.id == Appointment.schedule_id)
        .where(
            Schedule.doctor_id.in_(doctor_ids),
            Appointment.status == AppointmentStatus.COMPLETED,
            Appointment.called_at.is_not(None),
            Appointment.completed_at.is_not(None),
        )
        .subquery()
    )
    rows = (
        await session.execute(
            select(ranked.c.doctor_id, ranked.c.length)
            .where(ranked.c.rank <= HISTORY)
            .order_by(ranked.c.doctor_id, ranked.c.rank)
        )
    ).all()
    history: dict[int, list[timedelta]] = defaultdict(list)
    for doctor_id, length in rows:
        history[doctor_id].append(length)
    return history
