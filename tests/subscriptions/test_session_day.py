"""The session day over real sockets: the doctor runs the queue, the board and patients follow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from settings import Settings
from tests.drills.support import Server
from tests.subscriptions.support import (
    WORKERS,
    Socket,
    gauges,
    graphql,
    live_operation,
    session_today,
    socket,
)
from tests.subscriptions.test_live_streams import SET_STATUS, board_of, watching

pytestmark = pytest.mark.slow

WATCH_SESSION = live_operation("WatchSession")
WATCH_MY_PLACE = live_operation("WatchMyPlace")
START = live_operation("StartSession")
CALL_NEXT = live_operation("CallNext")
END = live_operation("EndSession")


def data(message: dict[str, Any], field: str) -> Any:
    assert message["type"] == "next", message
    return message["payload"]["data"][field]


def serving(number: int, field: str) -> Callable[[dict[str, Any]], bool]:
    """A stream's message that shows ``number`` in consultation."""

    def wanted(message: dict[str, Any]) -> bool:
        value = data(message, field)
        live = value.get("live", value)
        return bool(live and live["nowServing"] == number)

    return wanted


async def test_a_call_reaches_the_board_and_every_patient_on_both_workers_within_a_second(
    live: Server, session: AsyncSession, settings: Settings
) -> None:
    # given a running session with three arrived patients, the board and each patient
    # watched from sockets spread over both workers
    day = await session_today(session, settings, patients=3)
    board = board_of(day)
    started = await graphql(live, START, board, day.token)
    assert started["data"]["startSession"]["__typename"] == "LiveSessionChanged", started
    for patient in day.appointments:
        await graphql(live, SET_STATUS, {"id": str(patient.id), "status": "ARRIVED"}, day.token)
    async with AsyncExitStack() as stack:
        watchers: list[Socket] = []
        spread: dict[int, dict[str, Any]] = {}
        while len(watchers) < 6 or (
            len(watchers) < 20 and not all(g["subscriptions"] for g in spread.values())
        ):
            index = len(watchers) % 3
            sock = await stack.enter_async_context(
                socket(live, address=f"127.0.1.{10 + len(watchers)}")
            )
            await sock.subscribe("board", WATCH_SESSION, board)
            await sock.subscribe(
                "place", WATCH_MY_PLACE, watching(day.appointments[index], day.manage_token(index))
            )
            assert data(await sock.next("board"), "liveSession")["state"] == "RUNNING"
            assert data(await sock.next("place"), "myAppointment")["position"] == index
            watchers.append(sock)
            spread = await gauges(live, workers=WORKERS)
        assert all(gauge["subscriptions"] >= 1 for gauge in spread.values()), spread
        # when the doctor calls the next patient
        called = await graphql(live, CALL_NEXT, board, day.token)
        committed = time.monotonic()
        # then every board shows number 1 in consultation, within a second
        boards = await asyncio.gather(
            *(sock.until("board", serving(1, "liveSession"), within=1.0) for sock in watchers)
        )
        places = await asyncio.gather(
            *(sock.until("place", serving(1, "myAppointment"), within=1.0) for sock in watchers)
        )
        received = time.monotonic()
    assert called["data"]["callNext"]["__typename"] == "Called"
    assert {data(m, "liveSession")["nowServing"] for m in boards} == {1}
    assert received - committed < 1.0
    # and each patient's stream moved on: the first is in, the others keep their place
    # (the one called was ahead of them either way) and see number 1 served
    for n, message in enumerate(places):
        place = data(message, "myAppointment")
        assert place["live"]["nowServing"] == 1
        if n % 3 == 0:
            assert (place["status"], place["position"]) == ("IN_CONSULTATION", 0)
        else:
            assert place["position"] == n % 3
    # and the public board never carries a name
    assert all("Patient" not in str(message) for message in boards)


async def test_the_board_stream_ends_with_the_session(
    live: Server, session: AsyncSession, settings: Settings
) -> None:
    # given a running session's board watched
    day = await session_today(session, settings, patients=1)
    board = board_of(day)
    await graphql(live, START, board, day.token)
    async with socket(live, address="127.0.1.60") as sock:
        await sock.subscribe("board", WATCH_SESSION, board)
        assert data(await sock.next("board"), "liveSession")["state"] == "RUNNING"
        # when the doctor ends it
        await graphql(live, END, board, day.token)
        # then the board says so, and the stream completes
        ended, done = await sock.next("board"), await sock.next("board")
    assert data(ended, "liveSession")["state"] == "ENDED"
    assert done == {"id": "board", "type": "complete"}
