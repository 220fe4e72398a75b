"""Every committed change of a session day is announced with the session's key; refusals are not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_appointment
from tests.live_support import DAY, Desk, open_desk
from tests.operations import operation
from tests.platform.test_changes import listening

# Time enough for a NOTIFY that was sent to arrive on a local connection.
QUIET = 0.3


@pytest.fixture
async def heard(database_url: str) -> AsyncIterator[asyncio.Queue[str]]:
    connection, queue = await listening(database_url)
    try:
        yield queue
    finally:
        await connection.close()


async def drained(queue: asyncio.Queue[str]) -> list[str]:
    await asyncio.sleep(QUIET)
    found = []
    while not queue.empty():
        found.append(queue.get_nowait())
    return found


@pytest.fixture
async def desk(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> Desk:
    opened = await open_desk(gql, session, settings=settings, clock=clock)
    await make_appointment(session, opened.schedule, DAY, status=AppointmentStatus.ARRIVED)
    await session.commit()
    return opened


async def test_each_mutation_is_heard_once_after_it_commits(
    desk: Desk, heard: asyncio.Queue[str]
) -> None:
    # given
    key = f"{desk.schedule.id}:{DAY.isoformat()}"
    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: desk.do("StartSession"),
        lambda: desk.do("AnnounceDelay", minutes=20, notice=None),
        lambda: desk.walk_in("Gopal Das"),
        lambda: desk.do("CallNext"),
        lambda: desk.do("EndSession"),
    ]
    for step in steps:
        # when
        await step()
        # then
        assert await drained(heard) == [key]


async def test_refused_and_unchanged_actions_are_not_heard(
    desk: Desk, heard: asyncio.Queue[str]
) -> None:
    # given: calling before the start, and a delay out of range, are refused
    await desk.do("CallNext")
    await desk.do("AnnounceDelay", minutes=-5, notice=None)
    await desk.do("EndSession")
    assert await drained(heard) == []
    await desk.do("AnnounceDelay", minutes=20, notice=None)
    await drained(heard)
    # when the same delay is announced again
    await desk.do("AnnounceDelay", minutes=20, notice=None)
    # then
    assert await drained(heard) == []


async def test_a_booking_and_a_cancellation_are_heard_too(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    heard: asyncio.Queue[str],
) -> None:
    # given an open session two days ahead
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    clock.set(desk.clock.now().replace(day=1))
    phone = "+919830012345"
    await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    key = f"{desk.schedule.id}:{DAY.isoformat()}"
    # when
    booked = await gql(
        operation("BookAppointment"), booking(desk.schedule, DAY, patientPhone=phone)
    )
    answer = booked["data"]["bookAppointment"]
    assert answer["__typename"] == "Booked", answer
    on_booking = await drained(heard)
    cancel = await gql(
        operation("CancelMyAppointment"),
        {
            "publicId": answer["appointment"]["publicId"],
            "manageToken": answer["manageToken"],
            "reason": None,
        },
    )
    # then
    assert cancel["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    assert on_booking == [key]
    assert await drained(heard) == [key]
