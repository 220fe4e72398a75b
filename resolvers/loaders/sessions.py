"""Loaders for sessions: schedules by id, vacations and booked counts per schedule and window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Schedule, SessionSeats, Vacation, VacationSchedule
from resolvers.calendar import VacationSpan
from resolvers.loaders.base import SessionLoader, by_key

# A schedule and an inclusive date range: the key of every windowed loader. A batch
# reads the union of its keys' windows in one statement and hands each key its part.
ScheduleWindow = tuple[int, date, date]


def _bounds(keys: list[ScheduleWindow]) -> tuple[list[int], date, date]:
    return (
        sorted({key[0] for key in keys}),
        min(key[1] for key in keys),
        max(key[2] for key in keys),
    )


class ScheduleByIdLoader(SessionLoader[int, Schedule | None]):
    """Any schedule by id, deactivated ones too (appointments keep pointing at them)."""

    async def batch_load_fn(self, keys: list[int]) -> list[Schedule | None]:
        async with self.db.use() as session:
            schedules = (await session.scalars(select(Schedule).where(Schedule.id.in_(keys)))).all()
        return by_key(keys, {schedule.id: schedule for schedule in schedules})


async def vacation_spans(
    session: AsyncSession, schedule_ids: Iterable[int], first: date, last: date
) -> dict[int, list[VacationSpan]]:
    """The vacations touching [first, last] of each schedule (also used inside transactions)."""
    rows = (
        await session.execute(
            select(
                VacationSchedule.schedule_id, Vacation.id, Vacation.start_date, Vacation.end_date
            )
            .join(Vacation, Vacation.id == VacationSchedule.vacation_id)
            .where(
                VacationSchedule.schedule_id.in_(list(schedule_ids)),
                Vacation.start_date <= last,
                Vacation.end_date >= first,
            )
        )
    ).all()
    spans: dict[int, list[VacationSpan]] = defaultdict(list)
    for schedule_id, vacation_id, start, end in rows:
        spans[schedule_id].append(VacationSpan(vacation_id, start, end))
    return spans


async def booked_counts(
    session: AsyncSession, schedule_ids: Iterable[int], first: date, last: date
) -> dict[int, dict[date, int]]:
    """Booked seats per date of each schedule in [first, last], from the seat counters."""
    rows = (
        await session.execute(
            select(
                SessionSeats.schedule_id, SessionSeats.session_date, SessionSeats.booked_count
            ).where(
                SessionSeats.schedule_id.in_(list(schedule_ids)),
                SessionSeats.session_date.between(first, last),
            )
        )
    ).all()
    counts: dict[int, dict[date, int]] = defaultdict(dict)
    for schedule_id, session_date, booked in rows:
        counts[schedule_id][session_date] = booked
    return counts


class VacationSpansByScheduleWindowLoader(SessionLoader[ScheduleWindow, list[VacationSpan]]):
    """The vacations blocking a schedule that touch a window: column rows."""

    async def batch_load_fn(self, keys: list[ScheduleWindow]) -> list[list[VacationSpan]]:
        async with self.db.use() as session:
            spans = await vacation_spans(session, *_bounds(keys))
        return [
            [span for span in spans.get(schedule_id, []) if span.start <= to and span.end >= since]
            for schedule_id, since, to in keys
        ]


class BookedCountsByScheduleWindowLoader(SessionLoader[ScheduleWindow, dict[date, int]]):
    """Booked seats per date of a schedule in a window, from the seat counters: column rows."""

    async def batch_load_fn(self, keys: list[ScheduleWindow]) -> list[dict[date, int]]:
        async with self.db.use() as session:
            counts = await booked_counts(session, *_bounds(keys))
        return [
            {day: n for day, n in counts.get(schedule_id, {}).items() if since <= day <= to}
            for schedule_id, since, to in keys
        ]


class VacationsByDoctorIdLoader(SessionLoader[int, list[Vacation]]):
    """A doctor's vacations, by start date."""

    async def batch_load_fn(self, keys: list[int]) -> list[list[Vacation]]:
        async with self.db.use() as session:
            vacations = (
                await session.scalars(
                    select(Vacation)
                    .where(Vacation.doctor_id.in_(keys))
                    .order_by(Vacation.start_date, Vacation.id)
                )
            ).all()
        grouped: dict[int, list[Vacation]] = defaultdict(list)
        for vacation in vacations:
            grouped[vacation.doctor_id].append(vacation)
        return [grouped.get(key, []) for key in keys]


class SchedulesByVacationIdLoader(SessionLoader[int, list[Schedule]]):
    """The schedules a vacation blocks (deactivated ones too: they are its history)."""

    async def batch_load_fn(self, keys: list[int]) -> list[list[Schedule]]:
        async with self.db.use() as session:
            rows = (
                await session.execute(
                    select(VacationSchedule.vacation_id, Schedule)
                    .join(Schedule, Schedule.id == VacationSchedule.schedule_id)
                    .where(VacationSchedule.vacation_id.in_(keys))
                    .order_by(Schedule.weekday, Schedule.start_time, Schedule.id)
                )
            ).all()
        grouped: dict[int, list[Schedule]] = defaultdict(list)
        for vacation_id, schedule in rows:
            grouped[vacation_id].append(schedule)
        return [grouped.get(key, []) for key in keys]
