"""Loaders for the catalogue: categories, accounts, a doctor's schedules, doctor counts."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import (
    BigInteger,
    Dialect,
    SmallInteger,
    TypeDecorator,
    any_,
    bindparam,
    func,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, DoctorStatus
from db.models import Account, Category, CategoryRecord, Schedule, ScheduleRecord
from resolvers.catalogue.records import CategoryRow, ScheduleRow, check_columns
from resolvers.platform.loading import SessionLoader, by_key

# Hot statements are built once: constructing and coercing a select costs more than
# executing it from SQLAlchemy's compiled cache. Table columns (not ORM attributes)
# keep them Core statements, which skip the ORM's per-execution setup. Keys travel
# as one array (`= ANY(:keys)`), not an expanded IN list: the SQL text is the same
# for any number of keys, so it is rendered once and prepared once per connection
# instead of once per distinct batch size.
_KEYS = bindparam("keys", type_=ARRAY(BigInteger))
_categories = Category.__table__.c
_CATEGORIES_BY_ID = select(_categories.id, _categories.name).where(_categories.id == any_(_KEYS))


check_columns(CategoryRow, _CATEGORIES_BY_ID)


class CategoryByIdLoader(SessionLoader[int, CategoryRecord | None]):
    """Categories by id: column tuples (id, name), as CategoryRow."""

    async def batch_load_fn(self, keys: list[int]) -> list[CategoryRecord | None]:
        async with self.db.use() as session:
            rows = (await session.execute(_CATEGORIES_BY_ID, {"keys": keys})).all()
        categories = [CategoryRow._make(row) for row in rows]
        return by_key(keys, {category.id: category for category in categories})


class AccountByIdLoader(SessionLoader[int, Account | None]):
    """Accounts by id: entities (the viewer's token_version, mutations' reads)."""

    async def batch_load_fn(self, keys: list[int]) -> list[Account | None]:
        async with self.db.use() as session:
            accounts = (await session.scalars(select(Account).where(Account.id.in_(keys)))).all()
        return by_key(keys, {account.id: account for account in accounts})


class _DriverList(TypeDecorator[list[int]]):
    """A smallint[] read as asyncpg returns it, a list of ints.

    SQLAlchemy's ARRAY copies every array it reads into a new list, element by
    element, even when the elements need no conversion: 200 times on a page of 50
    doctors.
    """

    impl = ARRAY(SmallInteger)
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


_schedules = Schedule.__table__.c
# A schedule's columns as ScheduleRow holds them, and the order a doctor's active
# schedules are listed in; the doctor page's joined read uses both too.
SCHEDULE_COLUMNS = (
    _schedules.id,
    _schedules.doctor_id,
    _schedules.weekday,
    type_coerce(_schedules.weeks_of_month, _DriverList()).label("weeks_of_month"),
    _schedules.start_time,
    _schedules.end_time,
    _schedules.booking_opens_days_before,
    _schedules.booking_closes_hours_before,
    _schedules.fee,
    _schedules.patient_limit,
    _schedules.consult_minutes,
    _schedules.clinic_name,
    _schedules.medical_shop,
    _schedules.address,
    _schedules.contact_phone,
    _schedules.is_active,
)
SCHEDULE_ORDER = (_schedules.weekday, _schedules.start_time, _schedules.id)
_SCHEDULES_BY_DOCTOR_ID = (
    select(*SCHEDULE_COLUMNS)
    .where(_schedules.doctor_id == any_(_KEYS), _schedules.is_active)
    .order_by(*SCHEDULE_ORDER)
)


check_columns(ScheduleRow, _SCHEDULES_BY_DOCTOR_ID)


class SchedulesByDoctorIdLoader(SessionLoader[int, list[ScheduleRecord]]):
    """A doctor's active schedules, by weekday then start time: column tuples, not entities.

    Directory pages read a few hundred schedules; rows skip the ORM's per-entity work
    (identity map, instance state, instrumented attributes), and nothing here writes.
    """

    async def batch_load_fn(self, keys: list[int]) -> list[list[ScheduleRecord]]:
        async with self.db.use() as session:
            grouped = await active_schedules(session, keys)
        return [grouped.get(key, []) for key in keys]


async def active_schedules(
    session: AsyncSession, doctor_ids: list[int]
) -> dict[int, list[ScheduleRecord]]:
    """The doctors' active schedules, each doctor's in listing order (one statement)."""
    rows = (await session.execute(_SCHEDULES_BY_DOCTOR_ID, {"keys": doctor_ids})).all()
    grouped: dict[int, list[ScheduleRecord]] = defaultdict(list)
    for row in rows:
        schedule = ScheduleRow._make(row)
        grouped[schedule.doctor_id].append(schedule)
    return grouped


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
