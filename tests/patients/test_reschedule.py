"""rescheduleMyAppointment: the booking moves, with every booking rule on the target, or nothing changes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, DoctorStatus, WaitlistStatus
from db.models import Account, Appointment, Notification, Schedule, SessionSeats, WebhookDelivery
from resolvers.platform.changes import CHANNEL
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import token_for
from tests.conftest import GraphQLClient
from tests.database import direct_url
from tests.factories import make_admin, make_appointment, make_doctor, make_schedule, make_vacation
from tests.operations import operation
from tests.patients_support import patients_operation, patients_variables, phone_token
from tests.waitlist_support import entries_of, make_entry
from tests.webhooks.support import register

RESCHEDULE = patients_operation("RescheduleMyAppointment")
MY_APPOINTMENT = operation("MyAppointment")
PHONE = "+919830012345"
TOKEN = "the-manage-token"
DEC_3, DEC_4, DEC_5, DEC_10 = (
    date(2026, 12, 3),
    date(2026, 12, 4),
    date(2026, 12, 5),
    date(2026, 12, 10),
)
KEY = patients_variables("RescheduleMyAppointment")["idempotencyKey"]


@dataclass
class World:
    """A patient booked on Thursday 3 December with one doctor; another doctor's Friday chamber."""

    booked: Appointment
    thursday: Schedule
    friday: Schedule
    doctor: Account


@pytest.fixture
async def world(session: AsyncSession) -> World:
    thursday = await make_schedule(session, await make_doctor(session), weekday=3)
    doctor = await make_doctor(session, name="Dr. Vikram Sen")
    friday = await make_schedule(
        session, doctor, weekday=4, clinic_name="Sen Clinic", patient_limit=3
    )
    booked = await make_appointment(
        session, thursday, DEC_3, manage_token=TOKEN, patient_phone=PHONE, patient_name="Rina Das"
    )
    await make_appointment(session, friday, DEC_4)  # someone is already in the target session
    await session.commit()
    return World(booked=booked, thursday=thursday, friday=friday, doctor=doctor)


def move(
    world: World, schedule: Schedule | str | None = None, day: date = DEC_4, **changes: Any
) -> dict[str, Any]:
    target = world.friday if schedule is None else schedule
    values: dict[str, Any] = {
        "publicId": world.booked.public_id,
        "manageToken": TOKEN,
        "scheduleId": target if isinstance(target, str) else str(target.id),
        "date": day.isoformat(),
        "idempotencyKey": None,
    }
    values.update(changes)
    return values


async def seats(session: AsyncSession) -> dict[tuple[int, date], int]:
    rows = await session.execute(
        select(SessionSeats.schedule_id, SessionSeats.session_date, SessionSeats.booked_count)
    )
    return {(schedule_id, day): count for schedule_id, day, count in rows.all()}


async def unchanged(session: AsyncSession, world: World) -> None:
    """Nothing moved: the old booking stands, one seat each, no new row, no message."""
    stored = await session.scalar(
        select(Appointment.status).where(Appointment.id == world.booked.id)
    )
    assert stored is AppointmentStatus.BOOKED
    assert await seats(session) == {(world.thursday.id, DEC_3): 1, (world.friday.id, DEC_4): 1}
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 2
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_the_booking_moves_with_its_manage_token(
    gql: GraphQLClient, session: AsyncSession, world: World
) -> None:
    # when
    body = await gql(RESCHEDULE, move(world))
    # then the answer
    moved = body["data"]["rescheduleMyAppointment"]
    assert moved["__typename"] == "Rescheduled", body
    assert moved["appointment"] == {
        "publicId": "MMA-3",
        "queueNumber": 2,
        "status": "BOOKED",
        "session": {"date": "2026-12-04", "startsAt": "2026-12-04T18:00:00+05:30"},
    }
    assert moved["previous"] == {
        "publicId": world.booked.public_id,
        "status": "CANCELLED_BY_PATIENT",
    }
    # and what is stored: the old place released, the new one taken, the patient's data kept
    old = (
        await session.execute(
            select(Appointment.status, Appointment.cancellation_reason).where(
                Appointment.id == world.booked.id
            )
        )
    ).one()
    assert tuple(old) == (AppointmentStatus.CANCELLED_BY_PATIENT, "rescheduled")
    new = await session.get_one(Appointment, 3)
    assert (new.patient_name, new.patient_phone, new.patient_age) == ("Rina Das", PHONE, 30)
    assert await seats(session) == {(world.thursday.id, DEC_3): 0, (world.friday.id, DEC_4): 2}
    # and the new token opens the new booking, the old token only the old one
    new_token = moved["manageToken"]
    opened = await gql(MY_APPOINTMENT, {"publicId": "MMA-3", "manageToken": new_token})
    assert opened["data"]["myAppointment"]["status"] == "BOOKED"
    crossed = await gql(MY_APPOINTMENT, {"publicId": "MMA-3", "manageToken": TOKEN})
    assert crossed["data"]["myAppointment"] is None
    # and the patient is told once, by SMS
    texts = (
        await session.scalars(select(Notification.body).where(Notification.recipient == PHONE))
    ).all()
    assert texts == [
        f"Moved: {world.booked.public_id} is now MMA-3, queue #2, with Dr. Vikram Sen at Sen Clinic,"
        " 12 Park Street, on Fri 04 Dec 2026 at 18:00."
    ]


async def test_the_phone_token_moves_the_phones_booking_without_its_manage_token(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock, world: World
) -> None:
    # given
    token = phone_token(PHONE, settings=settings, clock=clock)
    other = phone_token("+919830099999", settings=settings, clock=clock)
    # when
    refused = await gql(RESCHEDULE, move(world, manageToken=None), token=other)
    body = await gql(RESCHEDULE, move(world, manageToken=None), token=token)
    # then
    assert refused["data"]["rescheduleMyAppointment"]["__typename"] == "NotFound"
    assert body["data"]["rescheduleMyAppointment"]["__typename"] == "Rescheduled"


async def test_webhooks_hear_the_cancellation_and_the_booking_and_both_sessions_are_announced(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    database_url: str,
    world: World,
) -> None:
    # given an admin's endpoint for every event, and a listener of session changes
    admin = await make_admin(session)
    await session.commit()
    await register(
        gql, token_for(admin, settings=settings, clock=clock), "https://clinic.example.org/h"
    )
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(direct_url(database_url).replace("+asyncpg", "", 1))
    await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[3]))
    try:
        # when
        await gql(RESCHEDULE, move(world))
        # then
        keys = {await asyncio.wait_for(heard.get(), 5) for _ in range(2)}
    finally:
        await listener.close()
    assert keys == {f"{world.thursday.id}:2026-12-03", f"{world.friday.id}:2026-12-04"}
    bodies = [
        json.loads(body)
        for body in (
            await session.scalars(select(WebhookDelivery.body).order_by(WebhookDelivery.id))
        ).all()
    ]
    assert [(body["type"], body["data"]["appointment"]["publicId"]) for body in bodies] == [
        ("appointment.cancelled", world.booked.public_id),
        ("appointment.booked", "MMA-3"),
    ]
    assert bodies[0]["data"]["rescheduledTo"] == "MMA-3"
    assert bodies[1]["data"]["rescheduledFrom"] == world.booked.public_id


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        ("full", "SessionFull"),
        ("not open", "BookingNotOpen"),
        ("closed", "BookingClosed"),
        ("vacation", "DoctorOnVacation"),
        ("not a date", "NotAScheduledDate"),
        ("duplicate", "DuplicateBooking"),
        ("no schedule", "NotFound"),
        ("suspended doctor", "NotFound"),
    ],
)
async def test_every_booking_rule_applies_to_the_target_and_a_refusal_changes_nothing(
    gql: GraphQLClient, session: AsyncSession, world: World, arrange: str, expected: str
) -> None:
    # given a target that breaks one rule
    variables = move(world)
    if arrange == "full":
        await make_appointment(session, world.friday, DEC_4)
        await make_appointment(session, world.friday, DEC_4)
    elif arrange == "not open":
        variables = move(world, world.thursday, DEC_10)
    elif arrange == "closed":
        morning = await make_schedule(
            session, world.doctor, weekday=1, start_time=time(10, 0), end_time=time(11, 0)
        )
        variables = move(world, morning, date(2026, 12, 1))
    elif arrange == "vacation":
        await make_vacation(session, world.doctor, DEC_4, DEC_5, schedules=[world.friday])
    elif arrange == "not a date":
        variables = move(world, day=DEC_5)
    elif arrange == "duplicate":
        await make_appointment(
            session, world.friday, DEC_4, patient_phone=PHONE, patient_name=" rina das "
        )
    elif arrange == "no schedule":
        variables = move(world, "999")
    elif arrange == "suspended doctor":
        world.doctor.status = DoctorStatus.SUSPENDED
        session.add(world.doctor)
    await session.commit()
    before = await seats(session)
    count = await session.scalar(select(func.count()).select_from(Appointment))
    # when
    body = await gql(RESCHEDULE, variables)
    # then
    assert body["data"]["rescheduleMyAppointment"]["__typename"] == expected, body
    assert await seats(session) == before
    assert await session.scalar(select(func.count()).select_from(Appointment)) == count
    stored = await session.scalar(
        select(Appointment.status).where(Appointment.id == world.booked.id)
    )
    assert stored is AppointmentStatus.BOOKED
    assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_only_a_booked_appointment_whose_session_has_not_started_moves(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock, world: World
) -> None:
    # when the patient moves to the session it is already in, then after it started
    same = await gql(RESCHEDULE, move(world, world.thursday, DEC_3))
    clock.set(datetime(2026, 12, 3, 12, 30, tzinfo=UTC))  # 18:00 in Kolkata
    started = await gql(RESCHEDULE, move(world))
    # then
    assert [body["data"]["rescheduleMyAppointment"] for body in (same, started)] == [
        {"__typename": "NotAllowed", "message": "The appointment is already in this session."},
        {
            "__typename": "NotAllowed",
            "message": "Only a booked appointment whose session has not started can be moved.",
        },
    ]
    await unchanged(session, world)


async def test_a_moved_or_cancelled_appointment_moves_no_more(
    gql: GraphQLClient, session: AsyncSession, world: World
) -> None:
    # given the booking was moved once
    await gql(RESCHEDULE, move(world))
    # when it is moved again (without a key: not a retry)
    again = await gql(RESCHEDULE, move(world, world.thursday, DEC_10))
    # then
    assert again["data"]["rescheduleMyAppointment"]["__typename"] == "NotAllowed"


async def test_wrong_proof_or_id_finds_nothing(
    gql: GraphQLClient, session: AsyncSession, world: World
) -> None:
    # when
    bodies = [
        await gql(RESCHEDULE, move(world, **changes))
        for changes in (
            {"manageToken": "guess"},
            {"manageToken": None},
            {"publicId": "MMA-999"},
            {"publicId": "nonsense"},
        )
    ]
    # then
    assert [body["data"]["rescheduleMyAppointment"]["__typename"] for body in bodies] == [
        "NotFound"
    ] * 4
    await unchanged(session, world)


async def test_bad_input_is_named(gql: GraphQLClient, session: AsyncSession, world: World) -> None:
    # when
    bodies = [
        await gql(RESCHEDULE, move(world, idempotencyKey="k" * 129)),
        await gql(RESCHEDULE, move(world, day=date(2099, 12, 3))),
    ]
    # then
    answers = [body["data"]["rescheduleMyAppointment"] for body in bodies]
    assert [answer["__typename"] for answer in answers] == ["ValidationFailed"] * 2
    await unchanged(session, world)


async def test_a_retry_with_the_key_gets_the_first_answer_and_another_request_is_refused(
    gql: GraphQLClient, session: AsyncSession, world: World
) -> None:
    # given a move whose answer the client never saw
    first = (await gql(RESCHEDULE, move(world, idempotencyKey=KEY)))["data"][
        "rescheduleMyAppointment"
    ]
    # when it retries the same request, and then sends the key with another target
    retry = (await gql(RESCHEDULE, move(world, idempotencyKey=KEY)))["data"][
        "rescheduleMyAppointment"
    ]
    other = (await gql(RESCHEDULE, move(world, world.thursday, DEC_10, idempotencyKey=KEY)))["data"]
    # then
    assert first["__typename"] == retry["__typename"] == "Rescheduled"
    assert retry == first
    assert other["rescheduleMyAppointment"]["__typename"] == "ValidationFailed"
    assert await session.scalar(select(func.count()).select_from(Appointment)) == 3
    assert await seats(session) == {(world.thursday.id, DEC_3): 0, (world.friday.id, DEC_4): 2}


async def test_a_key_a_booking_used_is_refused(
    gql: GraphQLClient, session: AsyncSession, world: World
) -> None:
    # given a booking made with the key
    await make_appointment(
        session, world.thursday, DEC_3, idempotency_key=KEY, idempotency_fingerprint="booking's"
    )
    await session.commit()
    # when
    body = await gql(RESCHEDULE, move(world, idempotencyKey=KEY))
    # then
    assert body["data"]["rescheduleMyAppointment"]["__typename"] == "ValidationFailed"
    stored = await session.scalar(
        select(Appointment.status).where(Appointment.id == world.booked.id)
    )
    assert stored is AppointmentStatus.BOOKED


async def test_the_freed_seat_goes_to_the_old_sessions_waitlist_in_the_same_move(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    # given the old session is full (one seat) and someone waits for it
    world.thursday.patient_limit = 1
    session.add(world.thursday)
    entry, _ = await make_entry(session, world.thursday, DEC_3, settings=settings)
    await session.commit()
    # when the patient moves away
    body = await gql(RESCHEDULE, move(world))
    # then the first in line holds the freed seat, with the next queue number
    assert body["data"]["rescheduleMyAppointment"]["__typename"] == "Rescheduled"
    promoted = (await entries_of(session))[0]
    assert promoted.status is WaitlistStatus.PROMOTED
    seated = await session.get_one(Appointment, promoted.appointment_id)
    assert (seated.schedule_id, seated.session_date, seated.queue_number) == (
        world.thursday.id,
        DEC_3,
        2,
    )
    assert seated.status is AppointmentStatus.BOOKED
    assert await seats(session) == {(world.thursday.id, DEC_3): 1, (world.friday.id, DEC_4): 2}
    assert entry.id == promoted.id
