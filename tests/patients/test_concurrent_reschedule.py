"""Moves under concurrency: capacity holds, a key moves once, a move is whole or nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Appointment, Schedule, SessionSeats
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.patients_support import patients_operation

RESCHEDULE = patients_operation("RescheduleMyAppointment")
DEC_3, DEC_4 = date(2026, 12, 3), date(2026, 12, 4)


def move(
    appointment: Appointment, target: Schedule, day: date, key: str | None = None
) -> dict[str, str | None]:
    return {
        "publicId": appointment.public_id,
        "manageToken": f"token-{appointment.queue_number}-{appointment.schedule_id}",
        "scheduleId": str(target.id),
        "date": day.isoformat(),
        "idempotencyKey": key,
    }


async def book(
    session: AsyncSession, schedule: Schedule, day: date, count: int
) -> list[Appointment]:
    booked = []
    for n in range(count):
        booked.append(
            await make_appointment(
                session, schedule, day, manage_token=f"token-{n + 1}-{schedule.id}"
            )
        )
    return booked


async def counters(session: AsyncSession, schedule: Schedule, day: date) -> tuple[int, int, int]:
    """(seats counted, BOOKED appointments, last queue number) of one session."""
    seats = await session.get_one(SessionSeats, (schedule.id, day), populate_existing=True)
    booked = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.schedule_id == schedule.id,
            Appointment.session_date == day,
            Appointment.status == AppointmentStatus.BOOKED,
        )
    )
    return seats.booked_count, booked or 0, seats.last_queue_number


async def test_twenty_moves_into_five_free_seats_move_exactly_five(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given 20 patients of one session, and a 10-seat session of another doctor with 5 taken
    source = await make_schedule(session, await make_doctor(session), weekday=3, patient_limit=20)
    target = await make_schedule(session, await make_doctor(session), weekday=4, patient_limit=10)
    movers = await book(session, source, DEC_3, 20)
    await book(session, target, DEC_4, 5)
    await session.commit()
    # when all 20 move at once
    bodies = await asyncio.gather(*(gql(RESCHEDULE, move(a, target, DEC_4)) for a in movers))
    # then
    results = [body["data"]["rescheduleMyAppointment"] for body in bodies]
    assert Counter(result["__typename"] for result in results) == {
        "Rescheduled": 5,
        "SessionFull": 15,
    }
    queue_numbers = sorted(
        r["appointment"]["queueNumber"] for r in results if r["__typename"] == "Rescheduled"
    )
    assert queue_numbers == [6, 7, 8, 9, 10]
    assert await counters(session, target, DEC_4) == (10, 10, 10)
    assert await counters(session, source, DEC_3) == (15, 15, 20)
    # and the 15 refused keep their places untouched
    refused = [
        a.id for a, r in zip(movers, results, strict=True) if r["__typename"] == "SessionFull"
    ]
    kept = await session.execute(
        select(Appointment.status, Appointment.cancelled_at).where(Appointment.id.in_(refused))
    )
    assert set(kept.all()) == {(AppointmentStatus.BOOKED, None)}


async def test_one_move_retried_at_once_with_one_key_moves_once(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    source = await make_schedule(session, await make_doctor(session), weekday=3)
    target = await make_schedule(session, await make_doctor(session), weekday=4)
    (mover,) = await book(session, source, DEC_3, 1)
    await session.commit()
    # when the client sends the same move eight times at once
    bodies = await asyncio.gather(
        *(gql(RESCHEDULE, move(mover, target, DEC_4, key="c41d-move-1")) for _ in range(8))
    )
    # then every answer is the one move, with one manage token
    results = [body["data"]["rescheduleMyAppointment"] for body in bodies]
    assert {result["__typename"] for result in results} == {"Rescheduled"}, results
    assert len({result["manageToken"] for result in results}) == 1
    assert len({result["appointment"]["publicId"] for result in results}) == 1
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 2
    assert await counters(session, target, DEC_4) == (1, 1, 1)
    assert await counters(session, source, DEC_3) == (0, 0, 1)


@pytest.mark.parametrize("limit", [10, 20], ids=["one seat free", "room for all"])
async def test_moves_both_ways_between_two_sessions_each_move_or_change_nothing(
    gql: GraphQLClient, session: AsyncSession, limit: int
) -> None:
    # given two sessions of 10 and 9 patients, who all try to swap sessions at once (each
    # direction's lock order is the other's reverse): with one seat free, or room for all
    first = await make_schedule(session, await make_doctor(session), weekday=3, patient_limit=limit)
    second = await make_schedule(
        session, await make_doctor(session), weekday=4, patient_limit=limit
    )
    in_first = await book(session, first, DEC_3, 10)
    in_second = await book(session, second, DEC_4, 9)
    await session.commit()
    # when
    bodies = await asyncio.gather(
        *(gql(RESCHEDULE, move(a, second, DEC_4)) for a in in_first),
        *(gql(RESCHEDULE, move(a, first, DEC_3)) for a in in_second),
    )
    # then every request has a typed answer: moved, or full (never a deadlock's error)
    results = [body["data"]["rescheduleMyAppointment"] for body in bodies]
    assert {result["__typename"] for result in results} <= {"Rescheduled", "SessionFull"}, bodies
    moved = Counter(result["__typename"] for result in results)["Rescheduled"]
    assert moved == 19 if limit == 20 else moved >= 1
    # and each move is whole: a moved patient holds exactly one new place, a refused one the old
    for appointment, result in zip([*in_first, *in_second], results, strict=True):
        status = await session.scalar(
            select(Appointment.status).where(Appointment.id == appointment.id)
        )
        was_moved = result["__typename"] == "Rescheduled"
        assert status is (
            AppointmentStatus.CANCELLED_BY_PATIENT if was_moved else AppointmentStatus.BOOKED
        )
    # and the counters agree with the rows, within capacity, with the 19 patients all seated
    one, two = await counters(session, first, DEC_3), await counters(session, second, DEC_4)
    assert one[0] == one[1] <= limit
    assert two[0] == two[1] <= limit
    assert one[1] + two[1] == 19
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 19 + moved
