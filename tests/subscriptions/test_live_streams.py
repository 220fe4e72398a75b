"""Subscriptions against a real gunicorn with two workers: real sockets, real commits, real NOTIFY.

The server runs in the suite's pool mode: directly it LISTENs, through CI's PgBouncer
pass (DB_POOL_MODE=transaction, no LIVE_LISTEN_URL) it polls; every test here holds
in both.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from datetime import time as clock_time
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from settings import PoolMode, Settings
from tests.drills.support import Server
from tests.subscriptions.support import (
    MAX_BYTES,
    MAX_COST,
    MAX_DEPTH,
    PER_ADDRESS,
    PER_CONNECTION,
    WORKERS,
    Socket,
    gauges,
    graphql,
    listeners,
    session_today,
    settled_gauges,
    socket,
)

pytestmark = pytest.mark.slow

WATCH_MY_PLACE = """
subscription WatchMyPlace($publicId: String!, $manageToken: String!) {
  myAppointment(publicId: $publicId, manageToken: $manageToken) { status queueNumber }
}
"""
WATCH_SESSION = """
subscription WatchSession($scheduleId: ID!, $date: Date!) {
  liveSession(scheduleId: $scheduleId, date: $date) {
    state delayMinutes notice nowServing waitingCount updatedAt
  }
}
"""
SET_STATUS = """
mutation SetStatus($id: ID!, $status: AppointmentStatus!) {
  setAppointmentStatus(id: $id, status: $status) { __typename }
}
"""
# Deeper than MAX_DEPTH, costlier than MAX_COST: valid documents the limits must refuse.
TOO_DEEP = """
subscription Deep($publicId: String!, $manageToken: String!) {
  myAppointment(publicId: $publicId, manageToken: $manageToken) {
    session { schedule { doctor { schedules { doctor { schedules { fee } } } } } }
  }
}
"""
TOO_COSTLY = """
subscription Costly($publicId: String!, $manageToken: String!) {
  myAppointment(publicId: $publicId, manageToken: $manageToken) {
    doctor { sessions(from: "2026-12-01", to: "2027-01-29") { date } }
  }
}
"""
A_QUERY = "query { __typename }"


def board_of(day: Any) -> dict[str, str]:
    return {"scheduleId": str(day.schedule.id), "date": day.day.isoformat()}


def watching(appointment: Any, token: str) -> dict[str, str]:
    return {"publicId": appointment.public_id, "manageToken": token}


async def first_value(sock: Socket, op: str) -> dict[str, Any]:
    message = await sock.next(op)
    assert message["type"] == "next", message
    value: dict[str, Any] = message["payload"]["data"]["myAppointment"]
    return value


async def test_every_subscriber_on_both_workers_gets_a_change_within_a_second(
    live: Server, session: AsyncSession, settings: Settings
) -> None:
    # given patients watching one appointment from sockets spread over both workers
    day = await session_today(session, settings)
    patient = day.appointments[0]
    async with AsyncExitStack() as stack:
        sockets: list[Socket] = []
        spread: dict[int, dict[str, Any]] = {}
        while len(sockets) < 6 or (
            len(sockets) < 20 and not all(gauge["subscriptions"] for gauge in spread.values())
        ):
            sock = await stack.enter_async_context(
                socket(live, address=f"127.0.0.{10 + len(sockets)}")
            )
            await sock.subscribe("place", WATCH_MY_PLACE, watching(patient, day.manage_token(0)))
            await sock.subscribe("board", WATCH_SESSION, board_of(day))
            assert (await first_value(sock, "place"))["status"] == "BOOKED"
            board = (await sock.next("board"))["payload"]["data"]["liveSession"]
            assert (board["state"], board["waitingCount"]) == ("NOT_STARTED", 3)
            sockets.append(sock)
            spread = await gauges(live, workers=WORKERS)
        assert all(gauge["subscriptions"] >= 1 for gauge in spread.values()), spread
        # when the doctor marks the patient arrived, through HTTP (a worker of its own choosing)
        answer = await graphql(
            live, SET_STATUS, {"id": str(patient.id), "status": "ARRIVED"}, day.token
        )
        committed = time.monotonic()
        assert answer["data"]["setAppointmentStatus"]["__typename"] == "AppointmentUpdated"
        # then every subscriber receives the new state within a second of the commit
        updates = await asyncio.gather(*(sock.next("place", within=1.0) for sock in sockets))
        boards = await asyncio.gather(*(sock.next("board", within=1.0) for sock in sockets))
        received = time.monotonic()
    assert [update["payload"]["data"]["myAppointment"]["status"] for update in updates] == [
        "ARRIVED"
    ] * len(sockets)
    assert received - committed < 1.0
    # and the public board moved on for everyone alike (its last change is the arrival)
    assert len({orjson.dumps(b["payload"]) for b in boards}) == 1
    assert boards[0]["payload"]["data"]["liveSession"]["updatedAt"] is not None


async def test_a_stream_sends_only_changes_and_ends_when_the_appointment_is_final(
    live: Server, session: AsyncSession, settings: Settings
) -> None:
    # given a session that has started, and a patient watching their place
    day = await session_today(session, settings)
    day.schedule.start_time = clock_time(0, 1)
    await session.commit()
    patient, other = day.appointments[0], day.appointments[1]
    async with socket(live, address="127.0.0.30") as sock:
        await sock.subscribe("place", WATCH_MY_PLACE, watching(patient, day.manage_token(0)))
        assert (await first_value(sock, "place"))["status"] == "BOOKED"
        # when another patient's change announces the session (nothing of theirs changed)
        await graphql(live, SET_STATUS, {"id": str(other.id), "status": "ARRIVED"}, day.token)
        # and then the patient arrives, and (once they see it) is seen
        arrived = await graphql(
            live, SET_STATUS, {"id": str(patient.id), "status": "ARRIVED"}, day.token
        )
        messages = [await sock.next("place")]
        seen = await graphql(
            live, SET_STATUS, {"id": str(patient.id), "status": "COMPLETED"}, day.token
        )
        # then the stream sent each change of theirs once, in order, and completed
        messages += [await sock.next("place"), await sock.next("place")]
    assert (
        arrived["data"]
        == seen["data"]
        == {"setAppointmentStatus": {"__typename": "AppointmentUpdated"}}
    )
    assert [m["type"] for m in messages] == ["next", "next", "complete"]
    statuses = [m["payload"]["data"]["myAppointment"]["status"] for m in messages[:2]]
    assert statuses == ["ARRIVED", "COMPLETED"]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"publicId": "MMA-1", "manageToken": "not-the-token"}, "FORBIDDEN"),
        ({"publicId": "MMA-999999", "manageToken": "manage-token-0"}, "FORBIDDEN"),
        ({"publicId": "MMA-1"}, "BAD_USER_INPUT"),
    ],
    ids=["wrong token", "unknown appointment", "no token"],
)
async def test_a_patient_stream_without_its_manage_token_is_refused(
    live: Server,
    session: AsyncSession,
    settings: Settings,
    variables: dict[str, str],
    code: str,
) -> None:
    # given a booking whose manage token the client does not have
    await session_today(session, settings, patients=1)
    async with socket(live, address="127.0.0.31") as sock:
        # when it subscribes without it
        await sock.subscribe("place", WATCH_MY_PLACE, variables)
        answer = await sock.next("place")
        # then the stream is refused with a coded error, and nothing is watched
        gauge = await settled_gauges(live, workers=WORKERS, expect={"watchers": 0})
    assert answer["type"] == "error"
    assert [error["extensions"]["code"] for error in answer["payload"]] == [code]
    if code == "FORBIDDEN":
        assert answer["payload"][0]["message"] == (
            "No appointment matches this public id and manage token."
        )
    assert all(worker["watchers"] == 0 for worker in gauge.values())


async def test_subscriptions_per_connection_and_per_address_are_bounded(
    live: Server, session: AsyncSession, settings: Settings
) -> None:
    # given a booking to watch
    day = await session_today(session, settings, patients=1)
    variables = watching(day.appointments[0], day.manage_token(0))
    async with AsyncExitStack() as stack:
        # when one socket asks for one subscription more than a connection may hold
        crowded = await stack.enter_async_context(socket(live, address="127.0.0.40"))
        for n in range(PER_CONNECTION + 1):
            await crowded.subscribe(f"s{n}", WATCH_MY_PLACE, variables)
        answers = [await crowded.next(f"s{n}") for n in range(PER_CONNECTION + 1)]
        # and one address opens more sockets than both workers may admit together
        outcomes = []
        for _n in range(2 * PER_ADDRESS + 1):
            sock = await stack.enter_async_context(socket(live, address="127.0.0.41"))
            await sock.subscribe("s", WATCH_MY_PLACE, variables)
            outcomes.append(await sock.next("s"))
        # (while another address is still served)
        other = await stack.enter_async_context(socket(live, address="127.0.0.42"))
        await other.subscribe("s", WATCH_MY_PLACE, variables)
        served = await other.next("s")
    # then the extra subscription is refused with a coded error, the others stream
    assert [a["type"] for a in answers] == ["next"] * PER_CONNECTION + ["error"]
    assert answers[-1]["payload"][0] == {
        "message": f"At most {PER_CONNECTION} subscriptions per connection.",
        "extensions": {"code": "BAD_USER_INPUT"},
    }
    # and each worker admits at most PER_ADDRESS of one address (so one of 2n+1 is refused)
    refused = [o for o in outcomes if o["type"] == "error"]
    assert 1 <= len(refused) <= PER_ADDRESS + 1
    assert len(outcomes) - len(refused) <= WORKERS * PER_ADDRESS
    assert refused[0]["payload"][0]["message"] == (
        f"At most {PER_ADDRESS} open subscriptions per client address."
    )
    assert served["type"] == "next"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (TOO_DEEP, f"'Deep' exceeds maximum operation depth of {MAX_DEPTH}"),
        (TOO_COSTLY, f"more than the limit of {MAX_COST}"),
        (A_QUERY, "Only subscriptions run over a WebSocket"),
    ],
    ids=["too deep", "too costly", "not a subscription"],
)
async def test_a_document_over_the_query_limits_is_refused(
    live: Server, session: AsyncSession, settings: Settings, document: str, message: str
) -> None:
    # given a booking
    day = await session_today(session, settings, patients=1)
    async with socket(live, address="127.0.0.43") as sock:
        # when a document the HTTP endpoint would refuse comes over the socket
        await sock.subscribe("s", document, watching(day.appointments[0], day.manage_token(0)))
        answer = await sock.next("s")
    # then it is refused the same way, before any resolver runs
    assert answer["type"] == "error", answer
    assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in answer["payload"][0]["message"]


async def test_a_socket_that_never_initialises_or_sends_too_much_or_garbage_is_closed(
    live: Server,
) -> None:
    # given a socket that sends no connection_init, one an oversized message, one garbage
    async with socket(live, address="127.0.0.44", init=False) as silent:
        # when the init timeout passes
        silent_code = await silent.closed(within=5)
    async with socket(live, address="127.0.0.45") as chatty:
        await chatty.send({"id": "s", "type": "subscribe", "payload": {"query": "#" * MAX_BYTES}})
        chatty_code = await chatty.closed(within=5)
    async with socket(live, address="127.0.0.46") as garbled:
        await garbled.send({"id": "s", "type": "subscribe"})
        garbled_code = await garbled.closed(within=5)
    # then the first is closed as the protocol says (4408), the second as too big (1009),
    # the third as malformed (4400), and none of them holds a subscription
    assert silent_code == 4408
    assert chatty_code == 1009
    assert garbled_code == 4400
    gauge = await settled_gauges(live, workers=WORKERS, expect={"subscriptions": 0})
    assert [worker["subscriptions"] for worker in gauge.values()] == [0] * WORKERS


async def test_closed_sockets_leave_no_stream_watcher_or_task_behind(
    live: Server, session: AsyncSession, settings: Settings, database_url: str
) -> None:
    # given each worker's gauge before any socket opens
    day = await session_today(session, settings, patients=3)
    before = await settled_gauges(
        live, workers=WORKERS, expect={"connections": 0, "subscriptions": 0}
    )
    # when sockets subscribe to several sessions' patients, some complete, and all close
    async with AsyncExitStack() as stack:
        for n in range(6):
            sock = await stack.enter_async_context(socket(live, address=f"127.0.0.{50 + n}"))
            patient = day.appointments[n % 3]
            await sock.subscribe("a", WATCH_MY_PLACE, watching(patient, day.manage_token(n % 3)))
            await sock.subscribe("b", WATCH_MY_PLACE, watching(patient, day.manage_token(n % 3)))
            await first_value(sock, "a")
            await first_value(sock, "b")
            if n % 2:
                await sock.complete("b")
        during = await gauges(live, workers=WORKERS)
    after = await settled_gauges(
        live, workers=WORKERS, expect={"connections": 0, "subscriptions": 0, "watchers": 0}
    )
    # then while open they were counted, and once closed nothing is left on either worker
    assert sum(gauge["subscriptions"] for gauge in during.values()) == 9
    for worker, gauge in after.items():
        assert gauge["subscriptions"] == 0
        assert gauge["sessions"] == 0
        assert gauge["watchers"] == 0
        assert gauge["reads"] == 0
        assert gauge["tasks"] == before[worker]["tasks"], (before, after)
    # and each worker holds one listening connection (none behind a transaction pooler)
    expected = 0 if settings.db_pool_mode is PoolMode.TRANSACTION else WORKERS
    assert await listeners(database_url) == expected


async def test_the_board_stream_of_an_unknown_session_says_null_and_ends(live: Server) -> None:
    # given no session 999999 on that day
    async with socket(live, address="127.0.0.60") as sock:
        # when someone watches its board
        await sock.subscribe("board", WATCH_SESSION, {"scheduleId": "999999", "date": "2026-12-07"})
        messages = [await sock.next("board"), await sock.next("board")]
    # then they are told there is none, and the stream ends (nothing is watched for it)
    assert messages == [
        {"id": "board", "type": "next", "payload": {"data": {"liveSession": None}}},
        {"id": "board", "type": "complete"},
    ]


async def test_the_public_board_stream_cannot_be_asked_for_patients(
    live: Server, session: AsyncSession, settings: Settings
) -> None:
    # given a session with booked patients
    day = await session_today(session, settings, patients=2)
    async with socket(live, address="127.0.0.61") as sock:
        # when the board's stream is asked for a patient's name
        await sock.subscribe(
            "board",
            "subscription W($s: ID!, $d: Date!) { liveSession(scheduleId: $s, date: $d) "
            "{ state patientName } }",
            {"s": str(day.schedule.id), "d": day.day.isoformat()},
        )
        answer = await sock.next("board")
    # then the document is refused: the board has no such field
    assert answer["type"] == "error"
    assert "patientName" in answer["payload"][0]["message"]
