"""Capacity under concurrency: 200 simultaneous bookings for 10 seats give exactly 10."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment, Schedule, SessionSeats
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_doctor, make_schedule, make_vacation
from tests.operations import operation

BOOK = operation("BookAppointment")
DEC_3 = date(2026, 12, 3)
PHONE = "+919830012345"
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


async def test_a_booking_during_a_vacation_being_saved_waits_and_sees_it(
    gql: GraphQLClient,
    session: AsyncSession,
    database: Database,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a doctor saving a vacation over 3 December (locked, not yet committed)
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    async with database.session() as doctors_side:
        await doctors_side.execute(
            select(Schedule).where(Schedule.id == schedule.id).with_for_update(key_share=True)
        )
        await make_vacation(doctors_side, doctor, DEC_3, DEC_3, schedules=[schedule])
        # when a patient books meanwhile
        patient = asyncio.create_task(gql(BOOK, booking(schedule, DEC_3)))
        await asyncio.sleep(0.3)
        waiting = not patient.done()
        await doctors_side.commit()
        body = await patient
    # then
    assert waiting
    assert body["data"]["bookAppointment"]["__typename"] == "DoctorOnVacation"
