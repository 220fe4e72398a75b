"""The catalogue's types: Category (a specialty) and Doctor (an active doctor, public)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Protocol

import strawberry

from db.models import CategoryRecord, PublicDoctorRecord, ScheduleRecord, public_id_of
from resolvers.booking.candidates import Found, NextAsk
from resolvers.catalogue import doctors
from resolvers.catalogue.records import PublicDoctorRow
from schema.booking.types import Session, sessions_between
from schema.platform.context import Info
from schema.platform.pagination import PageInfo
from schema.scheduling.types import Schedule


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


class _HasCategory(Protocol):
    category_id: int | None


def category_of(self: _HasCategory, info: Info) -> Category | Awaitable[Category | None] | None:
    """The ``category`` field of a doctor or an account: its category_id's category, or null."""
    return load_category(info, self.category_id)


def _category_or_none(record: CategoryRecord | None) -> Category | None:
    return None if record is None else Category.from_model(record)


@strawberry.type(description="An active doctor as the public sees them; hidden contacts are null.")
class Doctor:
    id: strawberry.ID
    public_id: str
    name: str
    description: str | None
    category_label: str | None
    email: str | None
    phone: str | None
    registration_number: str | None
    address: str | None
    city: str | None
    time_zone: str
    profile_picture_url: str | None
    category_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, model: PublicDoctorRecord) -> Doctor:
        """From an Account entity or a row of the public columns."""
        return cls(
            id=strawberry.ID(str(model.id)),
            public_id=public_id_of(model.public_number) or "",
            name=model.name,
            description=model.description,
            category_label=model.category_label,
            email=model.email if model.email_visible else None,
            phone=model.phone if model.phone_visible else None,
            registration_number=(
                model.registration_number if model.registration_number_visible else None
            ),
            address=model.address,
            city=model.city,
            time_zone=model.time_zone,
            profile_picture_url=model.profile_picture_url,
            category_id=model.category_id,
        )

    # A sync resolver returning the loader's future: a directory page has 50 of these
    # fields, and an async resolver would add a coroutine and a task to each.
    category: Category | Awaitable[Category | None] | None = strawberry.field(
        resolver=category_of, graphql_type=Category | None
    )

    @strawberry.field(
        description="The doctor's active schedules, by weekday and start time.",
        graphql_type=list[Schedule],
    )
    def schedules(self, info: Info) -> list[Schedule] | Awaitable[list[Schedule]]:
        # The public fallback phone is this doctor's shown phone: contactPhone then
        # needs no account lookup.
        phone = self.phone

        def convert(models: Sequence[ScheduleRecord]) -> list[Schedule]:
            return Schedule.from_models(models, fallback_phone=phone)

        return info.context.loaders.schedules_by_doctor_id.load_then(int(self.id), convert)

    sessions: list[Session] = strawberry.field(
        resolver=sessions_between,
        description="Sessions in [from, to] (at most 62 days), by start time.",
    )

    @strawberry.field(
        description="The first session, from today up to 60 days ahead, that is OPEN right now.",
        graphql_type=Session | None,
    )
    def next_available_session(self, info: Info) -> Session | Awaitable[Session | None] | None:
        loaders = info.context.loaders

        def convert(found: Found | None) -> Session | None:
            if found is None:
                return None
            # The answer's `schedule` field then costs no query.
            loaders.schedule_by_id.prime(found.schedule.id, found.schedule)
            return Session.from_occurrence(found.occurrence)

        ask = NextAsk(
            doctor_id=int(self.id), time_zone=self.time_zone, now=info.context.clock.now()
        )
        return loaders.next_available_session_by_doctor.load_then(ask, convert)


async def public_doctors(
    info: Info, rows: Sequence[PublicDoctorRow], *, with_schedules: bool
) -> list[Doctor]:
    """Doctors from public rows, their categories primed and, if asked, their schedules loaded.

    The rows carry their category, which primes the category loader (no statement);
    schedules (when the caller's lookahead saw them selected) are loaded in one batch,
    the statement the nested fields would send, or none for keys already primed.
    Loaded ahead, those fields answer synchronously instead of through a future, a
    coroutine and a task per doctor (about 300 task switches on a page of 50).
    """
    loaders = info.context.loaders
    for row in rows:
        category = row.category()
        if category is not None:
            loaders.category_by_id.prime(category.id, category)
    found = [Doctor.from_model(row) for row in rows]
    if with_schedules:
        await loaders.schedules_by_doctor_id.prefetch([int(doctor.id) for doctor in found])
    return found


@strawberry.type
class DoctorEdge:
    cursor: str
    node: Doctor


async def _total_count(root: DoctorConnection, info: Info) -> int:
    # A separate count, run only when the client selects totalCount: most pages don't.
    async with info.context.db.use() as session:
        return await doctors.count_public_doctors(session=session, doctor_filter=root.doctor_filter)


@strawberry.type
class DoctorConnection:
    total_count: int = strawberry.field(resolver=_total_count)
    page_info: PageInfo
    edges: list[DoctorEdge]
    doctor_filter: strawberry.Private[doctors.DoctorFilter]
