"""Booking's loaders: schedules and appointments by id; vacations and seats per schedule window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import BigInteger, Integer, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Appointment,
    Schedule,
    ScheduleRecord,
    SessionSeats,
    Vacation,
    VacationSchedule,
)
from resolvers.platform.calendar import VacationSpan
from resolvers.platform.loading import SessionLoader, by_key

# A schedule and an inclusive date range: the key of every windowed loader. A batch
# reads the union of its keys' windows in one statement and hands each key its part.
ScheduleWindow = tuple[int, date, date]


def _bounds(keys: list[ScheduleWindow]) -> tuple[list[int], date, date]:
    return (
        sorted({key[0] for key in keys}),
        min(key[1] for key in keys),
        max(key[2] for key in keys),
    )


class ScheduleByIdLoader(SessionLoader[int, ScheduleRecord | None]):
    """Any schedule by id, deactivated ones too (appointments keep pointing at them).

    Reads entities; session lists prime it with the column tuples they already hold.
    """

    async def batch_load_fn(self, keys: list[int]) -> list[ScheduleRecord | None]:
        async with self.db.use() as session:
            schedules = (await session.scalars(select(Schedule).where(Schedule.id.in_(keys)))).all()
        return by_key(keys, {schedule.id: schedule for schedule in schedules})


class AppointmentByIdLoader(SessionLoader[int, Appointment | None]):
    """Appointments by id (a promoted waitlist entry's booking): entities."""

    async def batch_load_fn(self, keys: list[int]) -> list[Appointment | None]:
        async with self.db.use() as session:
            found = (
                await session.scalars(select(Appointment).where(Appointment.id.in_(keys)))
            ).all()
        return by_key(keys, {appointment.id: appointment for appointment in found})


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What a schedule's sessions in a window depend on besides the schedule itself."""

    vacations: list[VacationSpan] = field(default_factory=list)
    booked: dict[date, int] = field(default_factory=dict)

    def within(self, first: date, last: date) -> SessionFacts:
        return SessionFacts(
            vacations=[v for v in self.vacations if v.start <= last and v.end >= first],
            booked={day: n for day, n in self.booked.items() if first <= day <= last},
        )


async def session_facts(
    session: AsyncSession, schedule_ids: Iterable[int], first: date, last: date
) -> dict[int, SessionFacts]:
    """Vacations and booked seats of each schedule in [first, last], in one statement.

    One UNION ALL of column rows (a vacation row has a vacation id; a seat row a
    count) keeps every session list at one read for both, whatever the page size.
    """
    ids = list(schedule_ids)
    vacations = (
        select(
            VacationSchedule.schedule_id,
            Vacation.id.label("vacation_id"),
            Vacation.start_date.label("first_day"),
            Vacation.end_date.label("last_day"),
            null().cast(Integer).label("booked"),
        )
        .join(Vacation, Vacation.id == VacationSchedule.vacation_id)
        .where(
            VacationSchedule.schedule_id.in_(ids),
            Vacation.start_date <= last,
            Vacation.end_date >= first,
        )
    )
    seats = select(
        SessionSeats.schedule_id,
        null().cast(BigInteger),
        SessionSeats.session_date,
        SessionSeats.session_date,
        SessionSeats.booked_count,
    ).where(SessionSeats.schedule_id.in_(ids), SessionSeats.session_date.between(first, last))
    rows = (await session.execute(union_all(vacations, seats))).all()
    facts: dict[int, SessionFacts] = defaultdict(SessionFacts)
    for schedule_id, known_id, first_day, last_day, booked in rows:
        # The union's second column is null on seat rows, though typed as the vacation id.
        vacation_id: int | None = known_id
        if vacation_id is not None:
            facts[schedule_id].vacations.append(VacationSpan(vacation_id, first_day, last_day))
        else:
            facts[schedule_id].booked[first_day] = booked
    return facts


class SessionFactsByScheduleWindowLoader(SessionLoader[ScheduleWindow, SessionFacts]):
    """Vacations and booked counts of a schedule in a window: column rows, one read a batch."""

    async def batch_load_fn(self, keys: list[ScheduleWindow]) -> list[SessionFacts]:
        async with self.db.use() as session:
            facts = await session_facts(session, *_bounds(keys))
        return [
            facts.get(schedule_id, SessionFacts()).within(first, last)
            for schedule_id, first, last in keys
        ]
