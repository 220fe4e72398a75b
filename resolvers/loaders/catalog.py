"""Loaders for the catalogue: categories, accounts, a doctor's schedules, doctor counts."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from db.enums import AccountRole, DoctorStatus
from db.models import Account, Category, Schedule
from resolvers.loaders.base import SessionLoader, by_key


class CategoryByIdLoader(SessionLoader[int, Category | None]):
    async def batch_load_fn(self, keys: list[int]) -> list[Category | None]:
        async with self.db.use() as session:
            categories = (
                await session.scalars(select(Category).where(Category.id.in_(keys)))
            ).all()
        return by_key(keys, {category.id: category for category in categories})


class AccountByIdLoader(SessionLoader[int, Account | None]):
    async def batch_load_fn(self, keys: list[int]) -> list[Account | None]:
        async with self.db.use() as session:
            accounts = (await session.scalars(select(Account).where(Account.id.in_(keys)))).all()
        return by_key(keys, {account.id: account for account in accounts})


class SchedulesByDoctorIdLoader(SessionLoader[int, list[Schedule]]):
    """A doctor's active schedules, by weekday then start time."""

    async def batch_load_fn(self, keys: list[int]) -> list[list[Schedule]]:
        async with self.db.use() as session:
            schedules = (
                await session.scalars(
                    select(Schedule)
                    .where(Schedule.doctor_id.in_(keys), Schedule.is_active)
                    .order_by(Schedule.weekday, Schedule.start_time, Schedule.id)
                )
            ).all()
        grouped: dict[int, list[Schedule]] = defaultdict(list)
        for schedule in schedules:
            grouped[schedule.doctor_id].append(schedule)
        return [grouped.get(key, []) for key in keys]


class ActiveDoctorCountByCategoryIdLoader(SessionLoader[int, int]):
    """How many doctors the public can see in each category: grouped column rows."""

    async def batch_load_fn(self, keys: list[int]) -> list[int]:
        async with self.db.use() as session:
            rows = (
                await session.execute(
                    select(Account.category_id, func.count())
                    .where(
                        Account.category_id.in_(keys),
                        Account.role == AccountRole.DOCTOR,
                        Account.status == DoctorStatus.ACTIVE,
                    )
                    .group_by(Account.category_id)
                )
            ).all()
        return by_key(keys, dict(rows), default=0)
