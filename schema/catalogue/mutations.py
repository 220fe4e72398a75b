"""The catalogue's root mutations: an admin adds and renames specialties."""

from __future__ import annotations

import strawberry

from resolvers.catalogue import categories
from schema.catalogue.results import CreateCategoryResult, RenameCategoryResult
from schema.platform.context import Info
from schema.platform.ids import int_id


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(description="Add a specialty; names are unique whatever their case.")
    async def create_category(self, info: Info, name: str) -> CreateCategoryResult:
        await info.context.require_admin()
        return await info.context.answer(categories.create_category, name=name)

    @strawberry.mutation(description="Rename a specialty.")
    async def rename_category(
        self, info: Info, id: strawberry.ID, name: str
    ) -> RenameCategoryResult:
        await info.context.require_admin()
        return await info.context.answer(
            categories.rename_category, category_id=int_id(id), name=name
        )
