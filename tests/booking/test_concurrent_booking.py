"""Capacity under concurrency: 200 simultaneous bookings for 10 seats give exactly 10."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment, SessionSeats
from resolvers.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_doctor, make_schedule
from tests.operations import operation

BOOK = operation("BookAppointment")
DEC_3 = date(2026, 12, 3)
PATIENTS = 200
SEATS = 10


async def test_two_hundred_simultaneous_bookings_fill_ten_seats_exactly(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a 10-seat session and 200 patients, each with a valid code for their phone
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=3, patient_limit=SEATS)
    phones = [f"+91983{n:07d}" for n in range(PATIENTS)]
    for phone in phones:
        await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    # when all of them book at once
    bodies = await asyncio.gather(
        *(
            gql(BOOK, booking(schedule, DEC_3, patientPhone=phone, patientName=f"Patient {n}"))
            for n, phone in enumerate(phones)
        )
    )
    # then
    results = [body["data"]["bookAppointment"] for body in bodies]
    assert Counter(result["__typename"] for result in results) == {
        "Booked": SEATS,
        "SessionFull": PATIENTS - SEATS,
    }
    queue_numbers = sorted(
        result["appointment"]["queueNumber"]
        for result in results
        if result["__typename"] == "Booked"
    )
    assert queue_numbers == list(range(1, SEATS + 1))
    rows = await session.scalar(select(func.count()).select_from(Appointment))
    assert rows == SEATS
    seats = await session.get(SessionSeats, (schedule.id, DEC_3))
    assert seats is not None
    assert (seats.booked_count, seats.last_queue_number) == (SEATS, SEATS)
