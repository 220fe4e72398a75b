"""Capacity and order under concurrency: real simultaneous requests against PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, WaitlistStatus
from db.models import Appointment, Notification, SessionSeats
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.operations import operation
from tests.waitlist_support import (
    APPOINTMENT_TOKEN,
    DEC_3,
    entries_of,
    full_session,
    joining,
    make_entry,
    patients_operation,
)

CANCEL_MINE = operation("CancelMyAppointment")
BOOK = operation("BookAppointment")
JOIN = patients_operation("JoinWaitlist")
MY_ENTRY = patients_operation("MyWaitlistEntry")


async def test_a_hundred_cancellations_promote_the_first_hundred_of_a_hundred_and_fifty(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given a full 100-seat session and 150 patients waiting
    full = await full_session(session, seats=100)
    for n in range(150):
        await make_entry(
            session,
            full.schedule,
            DEC_3,
            settings=settings,
            patient_name=f"Waiting {n}",
            patient_phone=f"+91984{n:07d}",
        )
    await session.commit()
    # when every booked patient cancels at once
    bodies = await asyncio.gather(
        *(
            gql(
                CANCEL_MINE,
                {"publicId": a.public_id, "manageToken": APPOINTMENT_TOKEN, "reason": None},
            )
            for a in full.booked
        )
    )
    # then every cancellation went through
    answers = Counter(body["data"]["cancelMyAppointment"]["__typename"] for body in bodies)
    assert answers == {"AppointmentCancelled": 100}
    # and exactly the first 100 in line were promoted, in line order, to numbers 101..200
    entries = await entries_of(session)
    assert [e.status for e in entries] == [WaitlistStatus.PROMOTED] * 100 + [
        WaitlistStatus.WAITING
    ] * 50
    numbers: dict[int | None, int] = dict(
        (
            await session.execute(
                select(Appointment.id, Appointment.queue_number).where(
                    Appointment.status == AppointmentStatus.BOOKED
                )
            )
        ).all()
    )
    assert [numbers[e.appointment_id] for e in entries[:100]] == list(range(101, 201))
    assert len(numbers) == 100
    seats = await session.get(SessionSeats, (full.schedule.id, DEC_3))
    assert seats is not None
    await session.refresh(seats)
    assert (seats.booked_count, seats.last_queue_number) == (100, 200)
    # each promoted patient was told once, and nobody still waiting was
    told = Counter(
        (
            await session.scalars(
                select(Notification.recipient).where(Notification.body.like("A seat freed up:%"))
            )
        ).all()
    )
    assert told == {e.patient_phone: 1 for e in entries[:100]}


async def test_cancellations_racing_bookings_never_let_both_take_a_freed_seat(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full 5-seat session, 3 waiting, and 20 patients with codes trying to book
    full = await full_session(session, seats=5)
    for n in range(3):
        await make_entry(
            session, full.schedule, DEC_3, settings=settings, patient_phone=f"+91985000000{n}"
        )
    phones = [f"+91986{n:07d}" for n in range(20)]
    for phone in phones:
        await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    # when 3 booked patients cancel while the 20 book
    cancels = [
        gql(
            CANCEL_MINE, {"publicId": a.public_id, "manageToken": APPOINTMENT_TOKEN, "reason": None}
        )
        for a in full.booked[:3]
    ]
    books = [
        gql(BOOK, booking(full.schedule, DEC_3, patientPhone=phone, patientName=f"Booker {n}"))
        for n, phone in enumerate(phones)
    ]
    bodies = await asyncio.gather(*cancels, *books)
    # then the freed seats went to the waitlist, and the session holds exactly its limit
    booked_answers = Counter(body["data"]["bookAppointment"]["__typename"] for body in bodies[3:])
    assert booked_answers == {"SessionFull": 20}
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.PROMOTED] * 3
    booked = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.status == AppointmentStatus.BOOKED)
    )
    assert booked == 5


async def test_cancellations_racing_bookings_without_a_waitlist_fill_each_seat_once(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full 5-seat session with nobody waiting, and 20 patients with codes
    full = await full_session(session, seats=5)
    phones = [f"+91987{n:07d}" for n in range(20)]
    for phone in phones:
        await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    # when 3 cancel while the 20 book
    cancels = [
        gql(
            CANCEL_MINE, {"publicId": a.public_id, "manageToken": APPOINTMENT_TOKEN, "reason": None}
        )
        for a in full.booked[:3]
    ]
    books = [
        gql(BOOK, booking(full.schedule, DEC_3, patientPhone=phone, patientName=f"Booker {n}"))
        for n, phone in enumerate(phones)
    ]
    await asyncio.gather(*cancels, *books)
    # then never more than the limit: at most the 3 freed seats were booked again
    booked = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(Appointment.status == AppointmentStatus.BOOKED)
    )
    seats = await session.get(SessionSeats, (full.schedule.id, DEC_3))
    assert seats is not None
    await session.refresh(seats)
    assert booked == seats.booked_count <= 5
    assert booked >= 2  # the two seats never freed, plus whoever booked the freed ones


async def test_concurrent_joins_get_distinct_places_in_join_order(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full session and 30 patients with codes
    full = await full_session(session, seats=2)
    phones = [f"+91988{n:07d}" for n in range(30)]
    for phone in phones:
        await give_code(session, phone, settings=settings, clock=clock)
    await session.commit()
    # when all join at once
    bodies = await asyncio.gather(
        *(
            gql(JOIN, joining(full.schedule, DEC_3, patientPhone=phone, otpCode="123456"))
            for phone in phones
        )
    )
    # then each has its own place, 1..30, in the order of their entries' ids
    joined = [body["data"]["joinWaitlist"] for body in bodies]
    assert {answer["__typename"] for answer in joined} == {"WaitlistJoined"}
    by_id = sorted(joined, key=lambda answer: int(answer["entry"]["publicId"][4:]))
    assert [answer["entry"]["position"] for answer in by_id] == list(range(1, 31))
    # and the entries say the same when asked afterwards
    last = by_id[-1]
    seen = await gql(
        MY_ENTRY, {"publicId": last["entry"]["publicId"], "manageToken": last["manageToken"]}
    )
    assert seen["data"]["myWaitlistEntry"]["position"] == 30
