"""The waitlist's mutation results: joined (token shown once), not full, left."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.waitlist import results as waitlist
from schema.booking.types import Session
from schema.platform.results import answers, union_of
from schema.platform.user_errors import NotAllowed, NotFound, UserError
from schema.waitlist.types import WaitlistEntry


@answers(waitlist.WaitlistJoined, entry=WaitlistEntry.from_view)
@strawberry.type(
    description="You are in line. Keep the manage token: it is shown only here, and it "
    "manages the booking too if a seat frees up for you."
)
class WaitlistJoined:
    manage_token: str = strawberry.field(
        description="Needed to view or leave the entry; stored only as a hash."
    )
    entry: WaitlistEntry


@answers(waitlist.SessionNotFull, session=Session.from_occurrence)
@strawberry.type(description="The session has seats left: book one instead of waiting.")
class SessionNotFull(UserError):
    session: Session


@answers(waitlist.WaitlistLeft, entry=WaitlistEntry.from_view)
@strawberry.type
class WaitlistLeft:
    entry: WaitlistEntry


# Declared once, by the resolver: every answer of joining, in order.
JoinWaitlistResult = union_of("JoinWaitlistResult", waitlist.JoinWaitlistResult)
LeaveWaitlistResult = Annotated[
    WaitlistLeft | NotFound | NotAllowed, strawberry.union("LeaveWaitlistResult")
]
