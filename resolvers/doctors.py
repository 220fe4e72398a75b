"""Public discovery of doctors: one doctor by public id, and the searchable directory."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, DoctorStatus
from db.models import Account
from resolvers.pagination import Page, decode_cursor, page_size

PUBLIC_ID_PREFIX = "MMD-"


class DoctorOrder(StrEnum):
    RELEVANCE = "RELEVANCE"
    NAME = "NAME"


@dataclass(frozen=True, slots=True)
class DoctorFilter:
    search: str | None = None
    category_ids: tuple[int, ...] = ()
    city: str | None = None


def is_public() -> ColumnElement[bool]:
    """Only active doctors exist for the public; pending and suspended ones vanish."""
    return (Account.role == AccountRole.DOCTOR) & (Account.status == DoctorStatus.ACTIVE)


def parse_public_id(public_id: str) -> int | None:
    raw = public_id.strip().upper()
    if not raw.startswith(PUBLIC_ID_PREFIX):
        return None
    number = raw[len(PUBLIC_ID_PREFIX) :]
    return int(number) if number.isdigit() and len(number) < 10 else None


async def get_public_doctor(*, session: AsyncSession, public_id: str) -> Account | None:
    number = parse_public_id(public_id)
    if number is None:
        return None
    return await session.scalar(select(Account).where(Account.public_number == number, is_public()))


def _filtered(doctor_filter: DoctorFilter) -> Select[Account]:
    query = select(Account).where(is_public())
    if doctor_filter.category_ids:
        query = query.where(Account.category_id.in_(doctor_filter.category_ids))
    if doctor_filter.city and doctor_filter.city.strip():
        query = query.where(func.lower(Account.city) == doctor_filter.city.strip().lower())
    return query


async def list_public_doctors(
    *,
    session: AsyncSession,
    doctor_filter: DoctorFilter,
    order: DoctorOrder,
    first: int | None,
    after: str | None,
) -> Page[Account]:
    limit = page_size(first)
    offset = decode_cursor(after)
    query = _filtered(doctor_filter)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(func.lower(Account.name), Account.id)
    doctors = (await session.scalars(ordered.offset(offset).limit(limit + 1))).all()
    return Page(
        items=doctors[:limit],
        offset=offset,
        has_next_page=len(doctors) > limit,
        total_count=total,
    )
