"""The catalogue's root queries: specialties, one doctor, the doctor directory."""

from __future__ import annotations

import strawberry

from resolvers.catalogue import categories, doctors
from schema.catalogue.inputs import DoctorFilter
from schema.catalogue.types import (
    Category,
    Doctor,
    DoctorConnection,
    DoctorEdge,
    public_doctors,
)
from schema.platform.context import Info
from schema.platform.lookahead import Lookahead
from schema.platform.pagination import PageInfo, edges_of

strawberry.enum(doctors.DoctorOrder, description="How to order doctors.")


@strawberry.type
class CatalogueQuery:
    @strawberry.field(description="Every specialty, by name.")
    async def categories(self, info: Info) -> list[Category]:
        async with info.context.db.use() as session:
            models = await categories.list_categories(session=session)
        return [Category.from_model(model) for model in models]

    @strawberry.field(description="One active doctor by public id (MMD-<n>), or null.")
    async def doctor(self, info: Info, public_id: str) -> Doctor | None:
        with_schedules = Lookahead(info).selects("schedules")
        async with info.context.db.use() as session:
            if with_schedules:
                # The page shows the schedules: read them with the doctor, in one statement.
                found = await doctors.get_public_doctor_with_schedules(
                    session=session, public_id=public_id
                )
                model = None if found is None else found.doctor
            else:
                found = None
                model = await doctors.get_public_doctor(session=session, public_id=public_id)
        if model is None:
            return None
        if found is not None:
            info.context.loaders.schedules_by_doctor_id.prime(model.id, found.schedules)
        [doctor] = await public_doctors(info, [model], with_schedules=False)
        return doctor

    @strawberry.field(description="The public doctor directory, a page at a time (first <= 100).")
    async def doctors(
        self,
        info: Info,
        filter: DoctorFilter | None = None,
        # Nullable: the frontend's $orderBy is, and a null (no choice) means the default.
        order_by: doctors.DoctorOrder | None = doctors.DoctorOrder.RELEVANCE,
        first: int | None = None,
        after: str | None = None,
    ) -> DoctorConnection:
        doctor_filter = (filter or DoctorFilter()).to_resolver()
        async with info.context.db.use() as session:
            page = await doctors.list_public_doctors(
                session=session,
                doctor_filter=doctor_filter,
                order=order_by or doctors.DoctorOrder.RELEVANCE,
                first=first,
                after=after,
                with_total=False,
            )
        with_schedules = Lookahead(info).selects("edges", "node", "schedules")
        nodes = await public_doctors(info, page.items, with_schedules=with_schedules)
        return DoctorConnection(
            page_info=PageInfo.from_page(page),
            edges=edges_of(page, DoctorEdge, nodes),
            doctor_filter=doctor_filter,
        )
