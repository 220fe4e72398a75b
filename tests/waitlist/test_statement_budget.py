"""What MyWaitlistEntry costs: a fixed number of statements, whatever the line's length."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import WaitlistStatus
from db.stats import StatementLog
from settings import PoolMode, Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment
from tests.waitlist_support import DEC_3, full_session, make_entry, patients_operation

MY_ENTRY = patients_operation("MyWaitlistEntry")
# The entry with its place, schedule and doctor; the session's seats and vacations; the
# promoted booking (only when there is one).
BUDGET = 3


@pytest.mark.parametrize("ahead", [0, 40])
@pytest.mark.parametrize("promoted", [False, True])
async def test_my_waitlist_entry_costs_the_same_for_any_line(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
    ahead: int,
    promoted: bool,
) -> None:
    # given an entry with others ahead of it in line, waiting or already promoted
    full = await full_session(session, seats=1)
    for n in range(ahead):
        await make_entry(
            session, full.schedule, DEC_3, settings=settings, patient_phone=f"+91983006{n:04d}"
        )
    extra = {}
    if promoted:
        booking = await make_appointment(session, full.schedule, DEC_3)
        extra = {"status": WaitlistStatus.PROMOTED, "appointment_id": booking.id}
    entry, token = await make_entry(session, full.schedule, DEC_3, settings=settings, **extra)
    await session.commit()
    # when
    with count_statements() as log:
        body = await gql(MY_ENTRY, {"publicId": entry.public_id, "manageToken": token})
    # then
    seen = body["data"]["myWaitlistEntry"]
    assert seen["position"] == (None if promoted else ahead + 1)
    assert (seen["appointment"] is not None) is promoted
    # (behind a transaction pooler the request's transaction first sets its limits)
    expected = (BUDGET if promoted else BUDGET - 1) + (
        settings.db_pool_mode is PoolMode.TRANSACTION
    )
    assert log.count == expected, log.statements
