"""Categories (specialties): listing for everyone, creating and renaming for admins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Category
from resolvers.platform.errors import (
    AlreadyExists,
    FieldProblem,
    NotFound,
    Problems,
    ValidationFailed,
)
from resolvers.platform.text import single_line

MAX_NAME_LENGTH = 100
_TAKEN = AlreadyExists("name", "A category with this name already exists.")


@dataclass(frozen=True, slots=True)
class CategorySaved:
    category: Category


async def list_categories(*, session: AsyncSession) -> Sequence[Category]:
    return (await session.scalars(select(Category).order_by(Category.name, Category.id))).all()


async def create_category(
    *, session: AsyncSession, name: str, now: datetime
) -> CategorySaved | AlreadyExists | ValidationFailed:
    """Add a specialty; names are unique whatever their case. Commits."""
    clean = _check_name(name)
    if isinstance(clean, ValidationFailed):
        return clean
    if await _name_taken(session, clean, other_than=None):
        return _TAKEN
    category = Category(name=clean, created_at=now, updated_at=now)
    session.add(category)
    return await _commit(session, category)


async def rename_category(
    *, session: AsyncSession, category_id: int, name: str, now: datetime
) -> CategorySaved | AlreadyExists | NotFound | ValidationFailed:
    """Rename a specialty (a change of case alone is allowed). Commits."""
    category = await session.scalar(
        select(Category).where(Category.id == category_id).with_for_update()
    )
    if category is None:
        return NotFound("There is no such category.")
    clean = _check_name(name)
    if isinstance(clean, ValidationFailed):
        await session.rollback()
        return clean
    if await _name_taken(session, clean, other_than=category.id):
        await session.rollback()
        return _TAKEN
    category.name = clean
    category.updated_at = now
    return await _commit(session, category)


def _check_name(name: str) -> str | ValidationFailed:
    problems = Problems()
    clean = single_line(name)
    if not clean:
        problems.add("name", FieldProblem.REQUIRED, "Enter a name.")
    elif len(clean) > MAX_NAME_LENGTH:
        problems.add("name", FieldProblem.TOO_LONG, f"Use at most {MAX_NAME_LENGTH} characters.")
    return problems.result() or clean


async def _name_taken(session: AsyncSession, name: str, *, other_than: int | None) -> bool:
    query = select(Category.id).where(func.lower(Category.name) == name.lower())
    if other_than is not None:
        query = query.where(Category.id != other_than)
    return await session.scalar(query.limit(1)) is not None


async def _commit(session: AsyncSession, category: Category) -> CategorySaved | AlreadyExists:
    try:
        await session.commit()
    except IntegrityError:
        # Two admins saved the same name at once; the unique index kept one.
        await session.rollback()
        return _TAKEN
    return CategorySaved(category)
