"""The catalogue's mutation results: a saved specialty, or why not."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.catalogue import categories
from schema.catalogue.types import Category
from schema.platform.results import answers
from schema.platform.user_errors import AlreadyExists, NotFound, ValidationFailed


@answers(categories.CategorySaved, category=Category.from_model)
@strawberry.type(description="The category was created or renamed.")
class CategorySaved:
    category: Category


CreateCategoryResult = Annotated[
    CategorySaved | AlreadyExists | ValidationFailed, strawberry.union("CreateCategoryResult")
]
RenameCategoryResult = Annotated[
    CategorySaved | AlreadyExists | NotFound | ValidationFailed,
    strawberry.union("RenameCategoryResult"),
]
