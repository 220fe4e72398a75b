"""Admin root fields: the pending-doctor queue, activation and suspension, categories."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.accounts import admin
from resolvers.catalogue import categories
from resolvers.platform import errors as results
from schema.accounts.types import Account, AccountConnection, AccountEdge
from schema.catalogue.types import Category
from schema.platform.context import Info
from schema.platform.errors import AlreadyExists, NotFound, ValidationFailed
from schema.platform.ids import int_id
from schema.platform.pagination import PageInfo


@strawberry.type(description="A doctor's status was set; the account as it is now.")
class DoctorStatusChanged:
    account: Account

    @classmethod
    def from_result(cls, result: admin.DoctorStatusChanged) -> DoctorStatusChanged:
        return cls(account=Account.from_model(result.account))


@strawberry.type(description="The category was created or renamed.")
class CategorySaved:
    category: Category

    @classmethod
    def from_result(cls, result: categories.CategorySaved) -> CategorySaved:
        return cls(category=Category.from_model(result.category))


DoctorStatusResult = Annotated[
    DoctorStatusChanged | NotFound, strawberry.union("DoctorStatusResult")
]
CreateCategoryResult = Annotated[
    CategorySaved | AlreadyExists | ValidationFailed, strawberry.union("CreateCategoryResult")
]
RenameCategoryResult = Annotated[
    CategorySaved | AlreadyExists | NotFound | ValidationFailed,
    strawberry.union("RenameCategoryResult"),
]


@strawberry.type
class AdminQuery:
    @strawberry.field(description="Doctors waiting for activation, oldest first (admins only).")
    async def pending_doctors(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AccountConnection:
        await info.context.require_admin()
        async with info.context.db.use() as session:
            page = await admin.list_pending_doctors(session=session, first=first, after=after)
        return AccountConnection(
            total_count=page.total_count,
            page_info=PageInfo.from_page(page),
            edges=[
                AccountEdge(cursor=page.cursor(index), node=Account.from_model(model))
                for index, model in enumerate(page.items)
            ],
        )


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="Make a doctor public; MMD-<n> is assigned the first time.")
    async def activate_doctor(self, info: Info, doctor_id: strawberry.ID) -> DoctorStatusResult:
        ctx = info.context
        await ctx.require_admin()
        async with ctx.db.use() as session:
            result = await admin.activate_doctor(
                session=session, doctor_id=int_id(doctor_id), now=ctx.clock.now()
            )
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return DoctorStatusChanged.from_result(result)

    @strawberry.mutation(description="Hide a doctor from the public; they are told by email.")
    async def suspend_doctor(
        self, info: Info, doctor_id: strawberry.ID, reason: str | None = None
    ) -> DoctorStatusResult:
        ctx = info.context
        await ctx.require_admin()
        async with ctx.db.use() as session:
            result = await admin.suspend_doctor(
                session=session, doctor_id=int_id(doctor_id), reason=reason, now=ctx.clock.now()
            )
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return DoctorStatusChanged.from_result(result)

    @strawberry.mutation(description="Add a specialty; names are unique whatever their case.")
    async def create_category(self, info: Info, name: str) -> CreateCategoryResult:
        ctx = info.context
        await ctx.require_admin()
        async with ctx.db.use() as session:
            result = await categories.create_category(
                session=session, name=name, now=ctx.clock.now()
            )
        if isinstance(result, categories.CategorySaved):
            return CategorySaved.from_result(result)
        if isinstance(result, results.AlreadyExists):
            return AlreadyExists.from_result(result)
        return ValidationFailed.from_result(result)

    @strawberry.mutation(description="Rename a specialty.")
    async def rename_category(
        self,
        info: Info,
        id: strawberry.ID,  # noqa: A002 - the contract's argument name
        name: str,
    ) -> RenameCategoryResult:
        ctx = info.context
        await ctx.require_admin()
        async with ctx.db.use() as session:
            result = await categories.rename_category(
                session=session, category_id=int_id(id), name=name, now=ctx.clock.now()
            )
        if isinstance(result, categories.CategorySaved):
            return CategorySaved.from_result(result)
        if isinstance(result, results.AlreadyExists):
            return AlreadyExists.from_result(result)
        if isinstance(result, results.NotFound):
            return NotFound.from_result(result)
        return ValidationFailed.from_result(result)
