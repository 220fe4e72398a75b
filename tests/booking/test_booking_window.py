"""The booking window to the second: [opensAt, closesAt), across midnight and a DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.booking_support import booking, give_code
from tests.conftest import GraphQLClient
from tests.factories import make_doctor, make_schedule
from tests.operations import operation

BOOK = operation("BookAppointment")
PHONE = "+919830012345"
THURSDAY, SUNDAY = 3, 6
DEC_10 = date(2026, 12, 10)  # a Thursday: booking opens 2026-12-03 00:00 IST, closes 16:00 IST


async def book_at(
    gql: GraphQLClient,
    session: AsyncSession,
    *,
    settings: Settings,
    clock: FixedClock,
    at: datetime,
    variables: dict[str, object],
) -> dict[str, object]:
    clock.set(at)
    await give_code(session, PHONE, settings=settings, clock=clock)
    await session.commit()
    body = await gql(BOOK, variables)
    result: dict[str, object] = body["data"]["bookAppointment"]
    return result


async def test_booking_opens_at_midnight_seven_days_before(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    variables = booking(schedule, DEC_10)
    # when
    early = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2026, 12, 2, 18, 29, 59, tzinfo=UTC),
        variables=variables,
    )
    on_time = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2026, 12, 2, 18, 30, 0, tzinfo=UTC),
        variables=variables,
    )
    # then
    assert early == {
        "__typename": "BookingNotOpen",
        "message": "Booking for this session has not opened yet.",
        "opensAt": "2026-12-03T00:00:00+05:30",
    }
    assert on_time["__typename"] == "Booked"


async def test_booking_closes_two_hours_before_the_start(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY)
    # when
    last_second = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2026, 12, 10, 10, 29, 59, tzinfo=UTC),
        variables=booking(schedule, DEC_10),
    )
    too_late = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2026, 12, 10, 10, 30, 0, tzinfo=UTC),
        variables=booking(schedule, DEC_10, patientName="Someone Else"),
    )
    # then
    assert last_second["__typename"] == "Booked"
    assert too_late == {
        "__typename": "BookingClosed",
        "message": "Booking for this session has closed.",
        "closedAt": "2026-12-10T16:00:00+05:30",
    }


async def test_an_early_morning_session_closes_the_evening_before(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a 01:00 session: two hours before is 23:00 on the previous day
    doctor = await make_doctor(session)
    schedule = await make_schedule(
        session, doctor, weekday=THURSDAY, start_time=time(1), end_time=time(3)
    )
    # when (23:00 IST on Wednesday 9 December is 17:30 UTC)
    before = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2026, 12, 9, 17, 29, 59, tzinfo=UTC),
        variables=booking(schedule, DEC_10),
    )
    after = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2026, 12, 9, 17, 30, 0, tzinfo=UTC),
        variables=booking(schedule, DEC_10, patientName="Someone Else"),
    )
    # then
    assert before["__typename"] == "Booked"
    assert after["closedAt"] == "2026-12-09T23:00:00+05:30"


async def test_a_new_york_session_across_the_spring_dst_change(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a Sunday 10:00 session in New York closing 12 hours before; clocks spring
    # forward at 02:00 that Sunday (2027-03-14), so 12 real hours before is 21:00 EST
    doctor = await make_doctor(session, time_zone="America/New_York")
    schedule = await make_schedule(
        session,
        doctor,
        weekday=SUNDAY,
        start_time=time(10),
        end_time=time(12),
        booking_closes_hours_before=12,
    )
    day = date(2027, 3, 14)
    # when (21:00 EST is 02:00 UTC)
    before = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2027, 3, 14, 1, 59, 59, tzinfo=UTC),
        variables=booking(schedule, day),
    )
    after = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=datetime(2027, 3, 14, 2, 0, 0, tzinfo=UTC),
        variables=booking(schedule, day, patientName="Someone Else"),
    )
    # then
    assert before["__typename"] == "Booked"
    assert before["appointment"]["session"]["startsAt"] == "2027-03-14T10:00:00-04:00"  # type: ignore[index]
    assert after["closedAt"] == "2027-03-13T21:00:00-05:00"


async def test_the_last_saturday_of_a_month_with_five_is_the_fifth(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the last Saturday: in January 2027 that is the 30th, not the 23rd
    doctor = await make_doctor(session)
    schedule = await make_schedule(session, doctor, weekday=5, weeks_of_month=[-1])
    at = datetime(2027, 1, 25, 3, 30, tzinfo=UTC)
    # when
    fourth = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=at,
        variables=booking(schedule, date(2027, 1, 23)),
    )
    fifth = await book_at(
        gql,
        session,
        settings=settings,
        clock=clock,
        at=at,
        variables=booking(schedule, date(2027, 1, 30)),
    )
    # then
    assert fourth["__typename"] == "NotAScheduledDate"
    assert fifth["__typename"] == "Booked"
