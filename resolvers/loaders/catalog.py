"""Loaders for the catalogue: categories, accounts, a doctor's schedules, doctor counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import cast

from sqlalchemy import func, select

from db.enums import AccountRole, DoctorStatus
from db.models import Account, Category, Schedule, ScheduleRecord
from resolvers.loaders.base import SessionLoader, by_key


class CategoryByIdLoader(SessionLoader[int, Category | None]):
    """Categories by id: entities."""

    async def batch_load_fn(self, keys: list[int]) -> list[Category | None]:
        async with self.db.use() as session:
            categories = (
                await session.scalars(select(Category).where(Category.id.in_(keys)))
            ).all()
        return by_key(keys, {category.id: category for category in categories})


class AccountByIdLoader(SessionLoader[int, Account | None]):
    """Accounts by id: entities (the viewer's token_version, mutations' reads)."""

    async def batch_load_fn(self, keys: list[int]) -> list[Account | None]:
        async with self.db.use() as session:
            accounts = (await session.scalars(select(Account).where(Account.id.in_(keys)))).all()
        return by_key(keys, {account.id: account for account in accounts})


# The columns a ScheduleRecord reads, labelled by attribute name.
_SCHEDULE_COLUMNS = (
    Schedule.id,
    Schedule.doctor_id,
    Schedule.weekday,
    Schedule.weeks_of_month,
    Schedule.start_time,
    Schedule.end_time,
    Schedule.booking_opens_days_before,
    Schedule.booking_closes_hours_before,
    Schedule.fee,
    Schedule.patient_limit,
    Schedule.clinic_name,
    Schedule.medical_shop,
    Schedule.address,
    Schedule.contact_phone,
    Schedule.is_active,
)


class SchedulesByDoctorIdLoader(SessionLoader[int, list[ScheduleRecord]]):
    """A doctor's active schedules, by weekday then start time: column tuples, not entities.

    Directory pages read a few hundred schedules; rows skip the ORM's per-entity work
    (identity map, instance state, instrumented attributes), and nothing here writes.
    """

    async def batch_load_fn(self, keys: list[int]) -> list[list[ScheduleRecord]]:
        async with self.db.use() as session:
            rows = (
                await session.execute(
                    select(*_SCHEDULE_COLUMNS)
                    .where(Schedule.doctor_id.in_(keys), Schedule.is_active)
                    .order_by(Schedule.weekday, Schedule.start_time, Schedule.id)
                )
            ).all()
        # A Row exposes its columns as attributes named like the model's: a ScheduleRecord.
        schedules = cast("Sequence[ScheduleRecord]", rows)
        grouped: dict[int, list[ScheduleRecord]] = defaultdict(list)
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
