"""The waitlist's root mutations: join a full session's line, leave it."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.waitlist import entries
from schema.platform.context import Info
from schema.waitlist.inputs import JoinWaitlistInput
from schema.waitlist.results import JoinWaitlistResult, LeaveWaitlistResult


@strawberry.type
class WaitlistMutation:
    @strawberry.mutation(
        description="Wait for a seat in a FULL session (needs a BOOK_APPOINTMENT code); the "
        "first in line is booked automatically when a seat frees up.",
        graphql_type=JoinWaitlistResult,
    )
    async def join_waitlist(self, info: Info, input: JoinWaitlistInput) -> Any:
        return await info.context.answer(entries.join_waitlist, request=input.to_resolver())

    @strawberry.mutation(description="Leave the waitlist while still WAITING.")
    async def leave_waitlist(
        self, info: Info, public_id: str, manage_token: str
    ) -> LeaveWaitlistResult:
        return await info.context.answer(
            entries.leave_waitlist, public_id=public_id, manage_token=manage_token
        )
