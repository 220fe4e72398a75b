"""The queue under concurrent requests: nobody called twice, never more patients than seats."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Appointment, SessionSeats
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient, StatementLog
from tests.factories import make_appointment
from tests.live_support import DAY, STARTS, open_desk
from tests.operations import operation

BOOK = operation("BookAppointment")
Statements = Callable[..., AbstractContextManager[StatementLog]]
# Lock, schedule, live row, the two patients, webhooks, "third in line" (one read, one
# write), the NOTIFY and the board's four reads: the same for any queue.
CALL_BUDGET = 21


async def test_twenty_simultaneous_calls_call_each_of_five_arrived_patients_once(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a running session with five patients waiting
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    for _ in range(5):
        await make_appointment(session, desk.schedule, DAY, status=AppointmentStatus.ARRIVED)
    await session.commit()
    await desk.do("StartSession")
    # when twenty calls arrive at once
    answers = await asyncio.gather(*(desk.do("CallNext") for _ in range(20)))
    # then
    assert Counter(answer["__typename"] for answer in answers) == {"Called": 5, "QueueEmpty": 15}
    called = sorted(a["appointment"]["queueNumber"] for a in answers if a["__typename"] == "Called")
    assert called == [1, 2, 3, 4, 5]
    done = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.status == AppointmentStatus.COMPLETED,
            Appointment.called_at.is_not(None),
            Appointment.completed_at.is_not(None),
        )
    )
    assert done == 5


async def test_two_calls_at_once_call_two_different_patients(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    desk = await open_desk(gql, session, settings=settings, clock=clock)
    for _ in range(3):
        await make_appointment(session, desk.schedule, DAY, status=AppointmentStatus.ARRIVED)
    await session.commit()
    await desk.do("StartSession")
    # when
    first, second = await asyncio.gather(desk.do("CallNext"), desk.do("CallNext"))
    # then
    numbers = {first["appointment"]["queueNumber"], second["appointment"]["queueNumber"]}
    assert numbers == {1, 2}
    inside = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.status == AppointmentStatus.IN_CONSULTATION)
    )
    assert inside == 1


async def test_walk_ins_racing_online_bookings_never_exceed_the_patient_limit(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a ten-seat session still open for booking on its day, and twenty phones with codes
    desk = await open_desk(
        gql,
        session,
        settings=settings,
        clock=clock,
        patient_limit=10,
        booking_closes_hours_before=0,
    )
    clock.set(STARTS - timedelta(hours=1))
    phones = [f"+91983{n:07d}" for n in range(20)]
    for phone in phones:
        await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    # when twenty bookings and twenty walk-ins come at once
    bookings = [
        gql(BOOK, booking(desk.schedule, DAY, patientPhone=phone, patientName=f"Online {n}"))
        for n, phone in enumerate(phones)
    ]
    walk_ins = [desk.walk_in(f"Walk-in {n}") for n in range(20)]
    answers = await asyncio.gather(*bookings, *walk_ins)
    # then
    booked = [a["data"]["bookAppointment"]["__typename"] for a in answers[:20]]
    walked = [a["__typename"] for a in answers[20:]]
    assert booked.count("Booked") + walked.count("WalkInAdded") == 10
    assert set(booked) <= {"Booked", "SessionFull"}
    assert set(walked) <= {"WalkInAdded", "SessionFull"}
    numbers = (await session.scalars(select(Appointment.queue_number))).all()
    assert sorted(numbers) == list(range(1, 11))
    seats = await session.get(SessionSeats, (desk.schedule.id, DAY))
    assert seats is not None
    assert (seats.booked_count, seats.last_queue_number) == (10, 10)


@pytest.mark.parametrize("waiting", [3, 30])
async def test_a_call_costs_the_same_for_any_queue_length(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    count_statements: Statements,
    waiting: int,
) -> None:
    # given a running session, one patient inside
    desk = await open_desk(gql, session, settings=settings, clock=clock, patient_limit=None)
    for _ in range(waiting):
        await make_appointment(session, desk.schedule, DAY, status=AppointmentStatus.ARRIVED)
    await session.commit()
    await desk.do("StartSession")
    await desk.do("CallNext")
    # when
    with count_statements() as log:
        called = await desk.do("CallNext")
    # then
    assert called["appointment"]["queueNumber"] == 2
    # Behind a transaction pooler each transaction first sets its limits (db/session.py):
    # one statement per transaction, not the call's work.
    work = [text for text in log.statements if not text.startswith("SELECT set_config(")]
    assert len(work) <= CALL_BUDGET, log.statements
