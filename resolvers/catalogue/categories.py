"""Categories (specialties): listing for everyone, creating and renaming for admins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AuditAction, AuditTargetKind
from db.models import Category
from resolvers.audit.trail import record
from resolvers.platform.audit import Actor
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
    *, session: AsyncSession, name: str, actor: Actor, now: datetime
) -> CategorySaved | AlreadyExists | ValidationFailed:
    """Add a specialty; names are unique whatever their case. Commits; audited."""
    clean = _check_name(name)
    if isinstance(clean, ValidationFailed):
        return clean
    if await _name_taken(session, clean, other_than=None):
        return _TAKEN
    category = Category(name=clean, created_at=now, updated_at=now)
    session.add(category)
    return await _commit(
        session, category, actor, AuditAction.CATEGORY_CREATED, now, details={"name": clean}
    )


async def rename_category(
    *, session: AsyncSession, category_id: int, name: str, actor: Actor, now: datetime
) -> CategorySaved | AlreadyExists | NotFound | ValidationFailed:
    """Rename a specialty (a change of case alone is allowed). Commits; audited."""
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
    renamed = {"from": category.name, "to": clean}
    category.name = clean
    category.updated_at = now
    return await _commit(
        session, category, actor, AuditAction.CATEGORY_RENAMED, now, details=renamed
    )


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


async def _commit(
    session: AsyncSession,
    category: Category,
    actor: Actor,
    action: AuditAction,
    now: datetime,
    *,
    details: dict[str, str],
) -> CategorySaved | AlreadyExists:
    """Save the category and its audit event together, or neither."""
    try:
        # The flush gives a new category its id for the event; the unique index may
        # refuse the name here already, or at the commit.
        await session.flush()
        record(
            session,
            actor=actor,
            action=action,
            now=now,
            target_kind=AuditTargetKind.CATEGORY,
            target_id=category.id,
            details=details,
        )
        await session.commit()
    except IntegrityError:
        # Two admins saved the same name at once; the unique index kept one.
        await session.rollback()
        return _TAKEN
    return CategorySaved(category)
