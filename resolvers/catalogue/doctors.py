"""Public discovery of doctors: one doctor by public id, and the searchable directory.

Search is typo-tolerant with pg_trgm: a doctor matches when the text is close to
a stretch of their name, description, specialty label or category name (word
similarity of at least the SEARCH_SIMILARITY_THRESHOLD setting, which db/session.py
sets in every transaction), and ranks by the best of those.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, DoctorStatus
from db.models import Account, Category, Schedule, ScheduleRecord
from resolvers.catalogue.loaders import SCHEDULE_COLUMNS, SCHEDULE_ORDER
from resolvers.catalogue.records import PublicDoctorRow, ScheduleRow, check_columns
from resolvers.platform.pagination import Page, decode_cursor, page_size
from resolvers.platform.text import ascii_number

PUBLIC_ID_PREFIX = "MMD-"
MAX_SEARCH_LENGTH = 100


class DoctorOrder(StrEnum):
    RELEVANCE = "RELEVANCE"
    NAME = "NAME"


@dataclass(frozen=True, slots=True)
class DoctorFilter:
    search: str | None = None
    category_ids: tuple[int, ...] = ()
    city: str | None = None


def is_public() -> ColumnElement[bool]:
    """Only active doctors exist for the public; pending and suspended ones vanish.

    On the table's columns, so Core statements (the doctor page) can use it too.
    """
    accounts = Account.__table__.c
    return (accounts.role == AccountRole.DOCTOR) & (accounts.status == DoctorStatus.ACTIVE)


def parse_public_id(public_id: str) -> int | None:
    raw = public_id.strip().upper()
    if not raw.startswith(PUBLIC_ID_PREFIX):
        return None
    return ascii_number(raw[len(PUBLIC_ID_PREFIX) :], max_digits=9)


_accounts = Account.__table__.c
# The columns of the public view (PublicDoctorRecord), read as rows: a page of 50
# doctors as entities cost about 1.4 ms of CPU against 0.3 ms as rows.
PUBLIC_DOCTOR_COLUMNS = (
    _accounts.id,
    _accounts.public_number,
    _accounts.name,
    _accounts.description,
    _accounts.category_label,
    _accounts.email,
    _accounts.email_visible,
    _accounts.phone,
    _accounts.phone_visible,
    _accounts.registration_number,
    _accounts.registration_number_visible,
    _accounts.address,
    _accounts.city,
    _accounts.time_zone,
    _accounts.profile_picture_url,
    _accounts.category_id,
    # The category's name rides along (the directory joins categories anyway), so a
    # page primes the category loader instead of sending a statement for it.
    Category.__table__.c.name.label("category_name"),
)
_WITH_CATEGORY = Account.__table__.outerjoin(
    Category.__table__, Category.__table__.c.id == _accounts.category_id
)

# Built once (every doctor page runs it): constructing a select costs more than
# running it from the compiled cache.
_PUBLIC_DOCTOR_BY_NUMBER = (
    select(*PUBLIC_DOCTOR_COLUMNS)
    .select_from(_WITH_CATEGORY)
    .where(_accounts.public_number == bindparam("number"), is_public())
)
check_columns(PublicDoctorRow, _PUBLIC_DOCTOR_BY_NUMBER)


async def get_public_doctor(*, session: AsyncSession, public_id: str) -> PublicDoctorRow | None:
    number = parse_public_id(public_id)
    if number is None:
        return None
    row = (await session.execute(_PUBLIC_DOCTOR_BY_NUMBER, {"number": number})).first()
    return None if row is None else PublicDoctorRow._make(row)


# The doctor page with its schedules in one statement: one row per active schedule
# (the doctor's columns repeated), or one row with null schedule columns. A doctor
# has a handful of schedules, so the repetition costs less than a second statement.
_schedules = Schedule.__table__.c
_PUBLIC_DOCTOR_WITH_SCHEDULES = (
    select(*PUBLIC_DOCTOR_COLUMNS, *SCHEDULE_COLUMNS)
    .select_from(
        _WITH_CATEGORY.outerjoin(
            Schedule.__table__, (_schedules.doctor_id == _accounts.id) & _schedules.is_active
        )
    )
    .where(_accounts.public_number == bindparam("number"), is_public())
    .order_by(*SCHEDULE_ORDER)
)
_DOCTOR_WIDTH = len(PublicDoctorRow._fields)
check_columns(PublicDoctorRow, _PUBLIC_DOCTOR_WITH_SCHEDULES, start=0, stop=_DOCTOR_WIDTH)
check_columns(ScheduleRow, _PUBLIC_DOCTOR_WITH_SCHEDULES, start=_DOCTOR_WIDTH)


@dataclass(frozen=True, slots=True)
class DoctorWithSchedules:
    doctor: PublicDoctorRow
    # Active ones, in the order SchedulesByDoctorIdLoader gives them (ScheduleRows).
    schedules: list[ScheduleRecord]


async def get_public_doctor_with_schedules(
    *, session: AsyncSession, public_id: str
) -> DoctorWithSchedules | None:
    """One doctor by public id with their active schedules: column tuples, one statement."""
    number = parse_public_id(public_id)
    if number is None:
        return None
    rows = (await session.execute(_PUBLIC_DOCTOR_WITH_SCHEDULES, {"number": number})).all()
    if not rows:
        return None
    schedules: list[ScheduleRecord] = [
        ScheduleRow._make(row[_DOCTOR_WIDTH:]) for row in rows if row[_DOCTOR_WIDTH] is not None
    ]
    return DoctorWithSchedules(PublicDoctorRow._make(rows[0][:_DOCTOR_WIDTH]), schedules)


def search_text(raw: str | None) -> str | None:
    """The search as matched: single-spaced, trimmed, bounded; None when there is nothing."""
    if raw is None:
        return None
    clean = " ".join(raw.split())[:MAX_SEARCH_LENGTH]
    return clean or None


# The directory's statements are built once per shape (which filters are present,
# which order) with every value a bound parameter: building and cache-keying a
# select of this size cost more CPU than executing it from SQLAlchemy's compiled
# cache. Table columns keep them Core statements.
_SEARCH = bindparam("search", type_=String)
_CATEGORY_IDS = bindparam("category_ids", type_=ARRAY(BigInteger))
_CITY = bindparam("city", type_=String)
_categories = Category.__table__.c


def _close_to(column: ColumnElement[Any]) -> ColumnElement[bool]:
    # The operator form (text <% column) can use the trigram indexes; its threshold is
    # pg_trgm.word_similarity_threshold, set for every connection (db/session.py).
    return _SEARCH.op("<%", return_type=Boolean)(column)


def _relevance() -> ColumnElement[float]:
    # greatest() skips NULLs: a missing description or category does not sink a doctor.
    return func.greatest(
        func.word_similarity(_SEARCH, _accounts.name),
        func.word_similarity(_SEARCH, _categories.name),
        func.word_similarity(_SEARCH, _accounts.category_label),
        func.word_similarity(_SEARCH, _accounts.description),
    )


@dataclass(frozen=True, slots=True)
class _Shape:
    searching: bool
    by_category: bool
    by_city: bool


def _shape_and_params(doctor_filter: DoctorFilter) -> tuple[_Shape, dict[str, Any]]:
    params: dict[str, Any] = {}
    text = search_text(doctor_filter.search)
    if text is not None:
        params["search"] = text
    if doctor_filter.category_ids:
        params["category_ids"] = list(doctor_filter.category_ids)
    city = (doctor_filter.city or "").strip().lower()
    if city:
        params["city"] = city
    shape = _Shape("search" in params, "category_ids" in params, "city" in params)
    return shape, params


@lru_cache(maxsize=16)
def _filtered(shape: _Shape) -> Select[Any]:
    query = select(*PUBLIC_DOCTOR_COLUMNS).select_from(_WITH_CATEGORY).where(is_public())
    if shape.searching:
        query = query.where(
            _close_to(_accounts.name)
            | _close_to(_accounts.description)
            | _close_to(_accounts.category_label)
            | _accounts.category_id.in_(select(_categories.id).where(_close_to(_categories.name)))
        )
    if shape.by_category:
        query = query.where(_accounts.category_id == any_(_CATEGORY_IDS))
    if shape.by_city:
        query = query.where(func.lower(_accounts.city) == _CITY)
    return query


@lru_cache(maxsize=16)
def _count(shape: _Shape) -> Select[Any]:
    return select(func.count()).select_from(_filtered(shape).subquery())


@lru_cache(maxsize=16)
def _page(shape: _Shape, by_relevance: bool) -> Select[Any]:
    by_name = (func.lower(_accounts.name), _accounts.id)
    if by_relevance:
        # Among equally close matches, a match on the name comes first.
        ordered = _filtered(shape).order_by(
            _relevance().desc(), func.word_similarity(_SEARCH, _accounts.name).desc(), *by_name
        )
    else:
        ordered = _filtered(shape).order_by(*by_name)
    return ordered.offset(bindparam("offset", type_=Integer)).limit(
        bindparam("limit", type_=Integer)
    )


async def count_public_doctors(*, session: AsyncSession, doctor_filter: DoctorFilter) -> int:
    """How many doctors match the filter, on every page."""
    shape, params = _shape_and_params(doctor_filter)
    return await session.scalar(_count(shape), params) or 0


async def list_public_doctors(
    *,
    session: AsyncSession,
    doctor_filter: DoctorFilter,
    order: DoctorOrder,
    first: int | None,
    after: str | None,
    with_total: bool = True,
) -> Page[PublicDoctorRow]:
    """A page of the directory, as rows; with_total=False skips the count (total_count is -1)."""
    limit = page_size(first)
    offset = decode_cursor(after)
    shape, params = _shape_and_params(doctor_filter)
    total = (
        await count_public_doctors(session=session, doctor_filter=doctor_filter)
        if with_total
        else -1
    )
    statement = _page(shape, order is DoctorOrder.RELEVANCE and shape.searching)
    # One row past the page says whether there is a next one.
    params |= {"offset": offset, "limit": limit + 1}
    rows = (await session.execute(statement, params)).all()
    doctors = [PublicDoctorRow._make(row) for row in rows]
    return Page(
        items=doctors[:limit],
        offset=offset,
        has_next_page=len(doctors) > limit,
        total_count=total,
    )
