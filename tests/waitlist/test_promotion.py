"""Promotion: a freed seat goes to the first WAITING entry in the transaction that frees it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, WaitlistStatus, WebhookEvent
from db.models import Appointment, SessionSeats, WebhookDelivery
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_vacation
from tests.operations import operation
from tests.platform.test_changes import listening
from tests.scheduling_support import signed_in_doctor, sms_to
from tests.waitlist_support import (
    APPOINTMENT_TOKEN,
    DEC_3,
    FullSession,
    entries_of,
    full_session,
    make_entry,
    patients_operation,
)
from tests.webhooks.support import register

CANCEL_MINE = operation("CancelMyAppointment")
MY_APPOINTMENT = operation("MyAppointment")
CANCEL_BY_DOCTOR = operation("CancelAppointment")
UPDATE_SCHEDULE = operation("UpdateSchedule")
DELETE_SCHEDULE = operation("DeleteSchedule")
CREATE_VACATION = operation("CreateVacation")
DELETE_VACATION = operation("DeleteVacation")
MY_ENTRY = patients_operation("MyWaitlistEntry")
WAITING_PHONE = "+919830022222"


async def cancel(gql: GraphQLClient, appointment: Appointment) -> dict[str, Any]:
    variables = {"publicId": appointment.public_id, "manageToken": APPOINTMENT_TOKEN}
    return await gql(CANCEL_MINE, variables | {"reason": None})


async def doctors_session(
    session: AsyncSession, settings: Settings, clock: FixedClock, *, seats: int
) -> tuple[FullSession, str]:
    """A full session of a signed-in doctor, and the doctor's token."""
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    full = await full_session(session, seats=seats, doctor=doctor)
    return full, token


async def test_a_patients_cancellation_books_the_first_in_line_with_the_next_number(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given a full two-seat session (queue numbers 1 and 2) and two patients waiting
    full = await full_session(session, seats=2)
    first, _ = await make_entry(
        session, full.schedule, DEC_3, settings=settings, patient_phone=WAITING_PHONE
    )
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    await session.commit()
    # when the first booked patient cancels
    body = await cancel(gql, full.booked[0])
    # then the first in line holds queue number 3, in a session that is full again
    assert body["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    promoted, waiting = await entries_of(session)
    assert (promoted.status, waiting.status) == (WaitlistStatus.PROMOTED, WaitlistStatus.WAITING)
    appointment = await session.get(Appointment, promoted.appointment_id)
    assert appointment is not None
    assert (appointment.status, appointment.queue_number) == (AppointmentStatus.BOOKED, 3)
    assert (appointment.patient_name, appointment.patient_phone) == (
        first.patient_name,
        WAITING_PHONE,
    )
    seats = await session.get(SessionSeats, (full.schedule.id, DEC_3))
    assert seats is not None
    assert (seats.booked_count, seats.last_queue_number) == (2, 3)
    assert await sms_to(session, WAITING_PHONE) == [
        f"A seat freed up: waitlist MMW-1 is now booked as {appointment.public_id}, queue #3,"
        " with Dr. Asha Rao at Test Clinic, 12 Park Street, on Thu 03 Dec 2026 at 18:00."
    ]


async def test_the_entrys_token_manages_the_booking_it_became(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given an entry promoted by a cancellation
    full = await full_session(session, seats=1)
    entry, token = await make_entry(session, full.schedule, DEC_3, settings=settings)
    await make_entry(session, full.schedule, DEC_3, settings=settings, patient_phone=WAITING_PHONE)
    await session.commit()
    await cancel(gql, full.booked[0])
    # when the patient looks with the entry's token, then cancels with it
    seen = await gql(MY_ENTRY, {"publicId": entry.public_id, "manageToken": token})
    booking = seen["data"]["myWaitlistEntry"]["appointment"]
    viewed = await gql(MY_APPOINTMENT, {"publicId": booking["publicId"], "manageToken": token})
    cancelled = await gql(
        CANCEL_MINE, {"publicId": booking["publicId"], "manageToken": token, "reason": None}
    )
    # then
    assert seen["data"]["myWaitlistEntry"]["status"] == "PROMOTED"
    assert seen["data"]["myWaitlistEntry"]["position"] is None
    assert booking == {"publicId": "MMA-2", "queueNumber": 2, "status": "BOOKED"}
    assert viewed["data"]["myAppointment"]["publicId"] == "MMA-2"
    assert cancelled["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    # and that cancellation promoted the next in line in turn
    statuses = [e.status for e in await entries_of(session)]
    assert statuses == [WaitlistStatus.PROMOTED, WaitlistStatus.PROMOTED]


async def test_a_doctors_cancellation_promotes_too(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    full, token = await doctors_session(session, settings, clock, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    await session.commit()
    # when
    body = await gql(
        CANCEL_BY_DOCTOR, {"id": str(full.booked[0].id), "reason": "emergency"}, token=token
    )
    # then
    assert body["data"]["cancelAppointment"]["__typename"] == "AppointmentCancelled"
    [entry] = await entries_of(session)
    assert entry.status is WaitlistStatus.PROMOTED


async def test_a_raised_patient_limit_promotes_exactly_the_new_seats(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full two-seat session with three waiting
    full, token = await doctors_session(session, settings, clock, seats=2)
    for n in range(3):
        await make_entry(
            session, full.schedule, DEC_3, settings=settings, patient_phone=f"+91983003333{n}"
        )
    await session.commit()
    # when the doctor makes it four seats
    body = await gql(
        UPDATE_SCHEDULE, {"id": str(full.schedule.id), "input": {"patientLimit": 4}}, token=token
    )
    # then the first two in line hold numbers 3 and 4; the third still waits
    assert body["data"]["updateSchedule"]["__typename"] == "ScheduleUpdated"
    statuses = [e.status for e in await entries_of(session)]
    assert statuses == [WaitlistStatus.PROMOTED, WaitlistStatus.PROMOTED, WaitlistStatus.WAITING]
    numbers = await session.scalars(
        select(Appointment.queue_number)
        .where(Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Appointment.queue_number)
    )
    assert list(numbers) == [1, 2, 3, 4]


async def test_a_limit_removed_altogether_seats_the_whole_line(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full one-seat session with three waiting
    full, token = await doctors_session(session, settings, clock, seats=1)
    for n in range(3):
        await make_entry(
            session, full.schedule, DEC_3, settings=settings, patient_phone=f"+91983004444{n}"
        )
    await session.commit()
    # when the doctor removes the limit
    body = await gql(
        UPDATE_SCHEDULE, {"id": str(full.schedule.id), "input": {"patientLimit": None}}, token=token
    )
    # then everyone in line is booked, numbers 2 to 4
    assert body["data"]["updateSchedule"]["__typename"] == "ScheduleUpdated"
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.PROMOTED] * 3
    seats = await session.get(SessionSeats, (full.schedule.id, DEC_3))
    assert seats is not None
    await session.refresh(seats)
    assert (seats.booked_count, seats.last_queue_number) == (4, 4)


async def test_emptying_a_session_on_purpose_promotes_nobody(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given two full sessions of one doctor with a patient waiting for each
    full, token = await doctors_session(session, settings, clock, seats=1)
    other = await full_session(
        session, seats=1, day=date(2026, 12, 4), doctor=full.doctor, weekday=4
    )
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    await make_entry(session, other.schedule, date(2026, 12, 4), settings=settings)
    await session.commit()
    # when one schedule is deleted and a vacation cancels the other's bookings
    deleted = await gql(
        DELETE_SCHEDULE, {"id": str(full.schedule.id), "reason": "clinic closed"}, token=token
    )
    vacation = {
        "start": "2026-12-04",
        "end": "2026-12-04",
        "reason": "holiday",
        "scheduleIds": [str(other.schedule.id)],
        "cancelAffected": True,
    }
    away = await gql(CREATE_VACATION, {"input": vacation}, token=token)
    # then the bookings are cancelled and nobody is booked in their place
    assert deleted["data"]["deleteSchedule"]["cancelledAppointments"] == 1
    assert away["data"]["createVacation"]["cancelledAppointments"] == 1
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.WAITING] * 2
    booked = await session.scalars(
        select(Appointment.id).where(Appointment.status == AppointmentStatus.BOOKED)
    )
    assert list(booked) == []


async def test_after_booking_closes_a_cancellation_promotes_nobody(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full session with a patient waiting, at 16:30 on its day (booking closed at 16:00)
    full = await full_session(session, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    await session.commit()
    clock.set(datetime(2026, 12, 3, 11, 0, tzinfo=UTC))
    # when the booked patient cancels before the 18:00 start
    body = await cancel(gql, full.booked[0])
    # then the seat stays free: the entry waits for expiry
    assert body["data"]["cancelMyAppointment"]["__typename"] == "AppointmentCancelled"
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.WAITING]


async def test_a_patient_already_booked_is_passed_over(
    gql: GraphQLClient, session: AsyncSession, settings: Settings
) -> None:
    # given a full session where the first in line also holds a seat
    full = await full_session(session, seats=2)
    held = await make_appointment(session, full.schedule, DEC_3, patient_name="Rina Das")
    full.schedule.patient_limit = 3
    await make_entry(
        session,
        full.schedule,
        DEC_3,
        settings=settings,
        patient_name="rina das",
        patient_phone=held.patient_phone,
    )
    await make_entry(session, full.schedule, DEC_3, settings=settings, patient_phone=WAITING_PHONE)
    await session.commit()
    # when a seat frees up
    await cancel(gql, full.booked[0])
    # then it goes to the next in line
    first, second = await entries_of(session)
    assert (first.status, second.status) == (WaitlistStatus.WAITING, WaitlistStatus.PROMOTED)


async def test_a_promotion_is_announced_to_the_sessions_listeners(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    database_url: str,
) -> None:
    # given
    full = await full_session(session, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    await session.commit()
    connection, heard = await listening(database_url)
    try:
        # when
        await cancel(gql, full.booked[0])
        # then
        assert await asyncio.wait_for(heard.get(), 5) == f"{full.schedule.id}:2026-12-03"
    finally:
        await connection.close()


async def test_a_promotion_is_a_booking_for_the_doctors_webhooks(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a doctor's endpoint for bookings, and a full session with a patient waiting
    full, token = await doctors_session(session, settings, clock, seats=1)
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    await session.commit()
    await register(gql, token, "https://clinic.example/hooks", events=["APPOINTMENT_BOOKED"])
    # when a seat frees up
    await cancel(gql, full.booked[0])
    # then the new booking is queued for the endpoint like any other, marked as from the line
    [body] = (
        await session.scalars(
            select(WebhookDelivery.body).where(
                WebhookDelivery.event == WebhookEvent.APPOINTMENT_BOOKED
            )
        )
    ).all()
    payload = json.loads(body)
    assert payload["type"] == "appointment.booked"
    assert payload["data"]["appointment"]["publicId"] == "MMA-2"
    assert payload["data"]["appointment"]["queueNumber"] == 2
    assert payload["data"]["fromWaitlist"] is True


async def test_a_deleted_vacation_gives_the_seats_freed_during_it_to_the_line(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a full session with a patient waiting, then a vacation over it (bookings kept)
    full, token = await doctors_session(session, settings, clock, seats=2)
    await make_entry(session, full.schedule, DEC_3, settings=settings)
    vacation = await make_vacation(session, full.doctor, DEC_3, DEC_3, schedules=[full.schedule])
    await session.commit()
    # and a patient cancels during the vacation: nobody is promoted into a session on vacation
    await cancel(gql, full.booked[0])
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.WAITING]
    # when the doctor deletes the vacation
    body = await gql(DELETE_VACATION, {"id": str(vacation.id)}, token=token)
    # then the seat freed meanwhile goes to the first in line, not to whoever books next
    assert body["data"]["deleteVacation"]["__typename"] == "VacationDeleted"
    assert [e.status for e in await entries_of(session)] == [WaitlistStatus.PROMOTED]
