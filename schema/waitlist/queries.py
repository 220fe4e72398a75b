"""The waitlist's root query: an entry, for whoever holds its manage token."""

from __future__ import annotations

import strawberry

from resolvers.waitlist import entries
from schema.platform.context import Info
from schema.waitlist.types import WaitlistEntry


@strawberry.type
class WaitlistQuery:
    @strawberry.field(
        description="A waitlist entry, for whoever holds its manage token; else null."
    )
    async def my_waitlist_entry(
        self, info: Info, public_id: str, manage_token: str
    ) -> WaitlistEntry | None:
        ctx = info.context
        async with ctx.db.use() as session:
            found = await entries.managed_entry(
                session=session,
                public_id=public_id,
                manage_token=manage_token,
                keyring=ctx.keyring,
            )
        if found is None:
            return None
        view, schedule, doctor = found
        # Read with the entry: its session's schedule and doctor cost no statement more.
        ctx.loaders.schedule_by_id.prime(schedule.id, schedule)
        ctx.loaders.account_by_id.prime(doctor.id, doctor)
        return WaitlistEntry.from_view(view)
