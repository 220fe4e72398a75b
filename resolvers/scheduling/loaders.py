"""Scheduling's loaders: a doctor's vacations, and the schedules each vacation blocks."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from db.models import Schedule, Vacation, VacationSchedule
from resolvers.platform.loading import SessionLoader


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
