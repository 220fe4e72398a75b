"""The private Account type: what a signed-in account (and an admin) sees of an account."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from zoneinfo import ZoneInfo

import strawberry

from db.enums import AccountRole, DoctorStatus
from db.models import Account as AccountModel
from resolvers.platform.calendar import today_in
from resolvers.platform.pagination import Page
from schema.booking.types import Session, sessions_between
from schema.catalogue.types import Category, category_of
from schema.feeds.types import calendar_feed_url
from schema.platform import enums as _registered_enums  # noqa: F401 - registers the enums above
from schema.platform.context import Info
from schema.platform.pagination import Connection
from schema.scheduling.types import Schedule, Vacation


@strawberry.type(
    description="An account as its owner (or an admin) sees it: every field, hidden or not."
)
class Account:
    id: strawberry.ID
    role: AccountRole
    public_id: str | None = strawberry.field(
        description="MMD-<n>, assigned when an admin first activates the doctor."
    )
    status: DoctorStatus
    name: str
    email: str
    phone: str | None
    registration_number: str | None
    description: str | None
    category_label: str | None
    address: str | None
    city: str | None
    time_zone: str
    profile_picture_url: str | None
    referral_code: str | None
    email_visible: bool
    phone_visible: bool
    registration_number_visible: bool
    created_at: datetime
    category_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, model: AccountModel) -> Account:
        return cls(
            id=strawberry.ID(str(model.id)),
            role=model.role,
            public_id=model.public_id,
            status=model.status,
            name=model.name,
            email=model.email,
            phone=model.phone,
            registration_number=model.registration_number,
            description=model.description,
            category_label=model.category_label,
            address=model.address,
            city=model.city,
            time_zone=model.time_zone,
            profile_picture_url=model.profile_picture_url,
            referral_code=model.referral_code,
            email_visible=model.email_visible,
            phone_visible=model.phone_visible,
            registration_number_visible=model.registration_number_visible,
            created_at=model.created_at,
            category_id=model.category_id,
        )

    category: Category | Awaitable[Category | None] | None = strawberry.field(
        resolver=category_of, graphql_type=Category | None
    )

    @strawberry.field(description="The account's active schedules, as their owner sees them.")
    async def schedules(self, info: Info) -> list[Schedule]:
        models = await info.context.loaders.schedules_by_doctor_id.load(int(self.id))
        # The owner's fallback is their own phone, shown or not.
        return Schedule.from_models(models, owner_view=True, fallback_phone=self.phone)

    @strawberry.field(description="Current and upcoming vacations, by start date.")
    async def vacations(self, info: Info) -> list[Vacation]:
        models = await info.context.loaders.vacations_by_doctor_id.load(int(self.id))
        today = today_in(ZoneInfo(self.time_zone), info.context.clock.now())
        return [Vacation.from_model(model) for model in models if model.end_date >= today]

    sessions: list[Session] = strawberry.field(
        resolver=sessions_between,
        description="The account's sessions in [from, to] (at most 62 days).",
    )

    calendar_feed_url: str | None = strawberry.field(
        resolver=calendar_feed_url,
        description="The doctor's private iCalendar feed of their sessions for the next 60 "
        "days, to subscribe to in a calendar app (only the doctor sees it; rotatable).",
    )


AccountConnection = Connection[Account]


def account_connection(page: Page[AccountModel]) -> AccountConnection:
    return Connection.of(page, [Account.from_model(item) for item in page.items])
