"""Idempotency keys: a retried booking gets the first answer, manage token included."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_doctor, make_schedule
from tests.operations import example_variables, operation

BOOK = operation("BookAppointment")
MY_APPOINTMENT = operation("MyAppointment")
PHONE = "+919830012345"
DEC_3 = date(2026, 12, 3)
KEY = example_variables("BookAppointment")["input"]["idempotencyKey"]


async def count_appointments(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Appointment)) or 0


async def test_a_retry_with_the_same_key_returns_the_first_booking_and_token(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a booking whose answer the client never saw
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    first = (await gql(BOOK, booking(schedule, DEC_3, idempotencyKey=KEY)))["data"]
    # when the client retries the very same request (its code is used up by now)
    retry = (await gql(BOOK, booking(schedule, DEC_3, idempotencyKey=KEY)))["data"]
    # then
    assert retry["bookAppointment"]["__typename"] == "Booked"
    assert retry["bookAppointment"]["appointment"] == first["bookAppointment"]["appointment"]
    assert retry["bookAppointment"]["manageToken"] == first["bookAppointment"]["manageToken"]
    assert await count_appointments(session) == 1
    token_works = await gql(
        MY_APPOINTMENT,
        {
            "publicId": retry["bookAppointment"]["appointment"]["publicId"],
            "manageToken": retry["bookAppointment"]["manageToken"],
        },
    )
    assert token_works["data"]["myAppointment"]["status"] == "BOOKED"


async def test_simultaneous_retries_with_one_key_book_once(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    # when
    bodies = await asyncio.gather(
        *(gql(BOOK, booking(schedule, DEC_3, idempotencyKey=KEY)) for _ in range(5))
    )
    # then
    results = [body["data"]["bookAppointment"] for body in bodies]
    assert {result["__typename"] for result in results} == {"Booked"}
    assert len({result["manageToken"] for result in results}) == 1
    assert await count_appointments(session) == 1


async def test_a_key_reused_for_a_different_booking_is_refused(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=3)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    await gql(BOOK, booking(schedule, DEC_3, idempotencyKey=KEY))
    # when
    body = await gql(BOOK, booking(schedule, DEC_3, idempotencyKey=KEY, patientName="Arjun Das"))
    # then
    result = body["data"]["bookAppointment"]
    assert result["__typename"] == "ValidationFailed"
    assert [error["field"] for error in result["errors"]] == ["idempotencyKey"]
    assert await count_appointments(session) == 1
