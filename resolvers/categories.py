"""Categories (specialties): listing, and later creating and renaming."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Category


async def list_categories(*, session: AsyncSession) -> Sequence[Category]:
    return (await session.scalars(select(Category).order_by(Category.name, Category.id))).all()
