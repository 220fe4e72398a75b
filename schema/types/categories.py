"""The Category type: a medical specialty."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry

from db.models import CategoryRecord
from schema.context import Info


@strawberry.type(description="A medical specialty, such as Cardiology.")
class Category:
    id: strawberry.ID
    name: str

    @classmethod
    def from_model(cls, model: CategoryRecord) -> Category:
        return cls(id=strawberry.ID(str(model.id)), name=model.name)

    @strawberry.field(description="How many doctors the public can find in this category.")
    async def active_doctor_count(self, info: Info) -> int:
        return await info.context.loaders.active_doctor_count_by_category_id.load(int(self.id))


def load_category(
    info: Info, category_id: int | None
) -> Category | Awaitable[Category | None] | None:
    """The category a foreign key points at, through the request's loader (null when none).

    The category itself when already loaded, else a future; never a coroutine: fields
    return it as is (see SessionLoader.load_then).
    """
    if category_id is None:
        return None
    return info.context.loaders.category_by_id.load_then(category_id, _category_or_none)


def _category_or_none(record: CategoryRecord | None) -> Category | None:
    return None if record is None else Category.from_model(record)
