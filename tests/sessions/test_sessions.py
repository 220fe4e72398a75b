"""Sessions as the public and the doctor see them: a doctor's page, the next one, the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.conftest import GraphQLClient
from tests.factories import make_appointment, make_doctor, make_schedule, make_vacation
from tests.operations import example_variables, operation
from tests.scheduling_support import signed_in_doctor

DOCTOR_PAGE = operation("DoctorPage")
SEARCH = operation("SearchDoctors")
MY_CALENDAR = operation("MyCalendar")
TUESDAY, THURSDAY, SATURDAY = 1, 3, 5


def page_of(public_id: str | None, start: str, end: str) -> dict[str, object]:
    return {"publicId": public_id, "from": start, "to": end}


async def test_the_doctor_page_lists_each_session_with_its_window_and_seats(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given every Thursday with 10 seats (3 booked on the 3rd), 2nd/4th Saturdays unlimited
    doctor = await make_doctor(session)
    thursday = await make_schedule(session, doctor, weekday=THURSDAY)
    saturday = await make_schedule(
        session,
        doctor,
        weekday=SATURDAY,
        weeks_of_month=[2, 4],
        start_time=time(10),
        end_time=None,
        patient_limit=None,
    )
    for _ in range(3):
        await make_appointment(session, thursday, date(2026, 12, 3))
    await session.commit()
    # when (the frontend's example: 1-14 December)
    body = await gql(DOCTOR_PAGE, example_variables("DoctorPage") | {"publicId": doctor.public_id})
    # then
    sessions = body["data"]["doctor"]["sessions"]
    assert [(s["date"], s["schedule"]["id"]) for s in sessions] == [
        ("2026-12-03", str(thursday.id)),
        ("2026-12-10", str(thursday.id)),
        ("2026-12-12", str(saturday.id)),
    ]
    assert sessions[0] == {
        "date": "2026-12-03",
        "startsAt": "2026-12-03T18:00:00+05:30",
        "endsAt": "2026-12-03T20:00:00+05:30",
        "bookingOpensAt": "2026-11-26T00:00:00+05:30",
        "bookingClosesAt": "2026-12-03T16:00:00+05:30",
        "capacity": 10,
        "bookedCount": 3,
        "remaining": 7,
        "status": "OPEN",
        "schedule": {"id": str(thursday.id)},
    }
    assert sessions[1]["status"] == "NOT_YET_OPEN"
    assert (sessions[2]["endsAt"], sessions[2]["capacity"], sessions[2]["remaining"]) == (
        None,
        None,
        None,
    )


async def test_full_closed_and_vacation_sessions_say_so(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a two-seat Tuesday schedule: today's (1 Dec, 18:00) is full,
    # last week's is over, and the 8th falls in a vacation
    doctor = await make_doctor(session)
    tuesday = await make_schedule(session, doctor, weekday=TUESDAY, patient_limit=2)
    for _ in range(2):
        await make_appointment(session, tuesday, date(2026, 12, 1))
    await make_vacation(session, doctor, date(2026, 12, 7), date(2026, 12, 9), schedules=[tuesday])
    await session.commit()
    # when
    body = await gql(DOCTOR_PAGE, page_of(doctor.public_id, "2026-11-24", "2026-12-08"))
    # then
    assert [(s["date"], s["status"]) for s in body["data"]["doctor"]["sessions"]] == [
        ("2026-11-24", "CLOSED"),
        ("2026-12-01", "FULL"),
        ("2026-12-08", "ON_VACATION"),
    ]


async def test_a_range_longer_than_62_days_or_backwards_is_a_bad_request(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given
    doctor = await make_doctor(session)
    await session.commit()
    # when
    longest = await gql(DOCTOR_PAGE, page_of(doctor.public_id, "2026-12-01", "2027-01-31"))
    too_long = await gql(DOCTOR_PAGE, page_of(doctor.public_id, "2026-12-01", "2027-02-01"))
    backwards = await gql(DOCTOR_PAGE, page_of(doctor.public_id, "2026-12-02", "2026-12-01"))
    # then
    assert "errors" not in longest
    for body in (too_long, backwards):
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert body["errors"][0]["path"] == ["doctor", "sessions"]


async def test_sessions_use_the_doctors_time_zone(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a New York doctor: on Sunday 2027-03-14 the clocks spring forward
    doctor = await make_doctor(session, time_zone="America/New_York")
    await make_schedule(session, doctor, weekday=6, start_time=time(10), end_time=time(12))
    await session.commit()
    # when
    body = await gql(DOCTOR_PAGE, page_of(doctor.public_id, "2027-03-07", "2027-03-14"))
    # then
    assert [s["startsAt"] for s in body["data"]["doctor"]["sessions"]] == [
        "2027-03-07T10:00:00-05:00",
        "2027-03-14T10:00:00-04:00",
    ]


async def test_next_available_session_is_the_first_one_that_can_be_booked_now(
    gql: GraphQLClient, session: AsyncSession, clock: FixedClock
) -> None:
    # given today's (Tue 1 Dec) session is full, Thursday's is on vacation, and
    # Saturday the 5th has a seat; later ones are not open yet
    clock.set(datetime(2026, 12, 1, 3, 30, tzinfo=UTC))
    doctor = await make_doctor(session)
    tuesday = await make_schedule(session, doctor, weekday=TUESDAY, patient_limit=1)
    await make_appointment(session, tuesday, date(2026, 12, 1))
    thursday = await make_schedule(session, doctor, weekday=THURSDAY)
    await make_vacation(session, doctor, date(2026, 12, 3), date(2026, 12, 3), schedules=[thursday])
    saturday = await make_schedule(
        session, doctor, weekday=SATURDAY, fee=800, clinic_name="Saturday Clinic"
    )
    idle = await make_doctor(session)
    await make_schedule(session, idle, weekday=SATURDAY, booking_opens_days_before=0)
    await session.commit()
    # when
    body = await gql(SEARCH, {"first": 10})
    # then
    found = {
        edge["node"]["publicId"]: edge["node"]["nextAvailableSession"]
        for edge in body["data"]["doctors"]["edges"]
    }
    assert found[doctor.public_id] == {
        "date": "2026-12-05",
        "startsAt": "2026-12-05T18:00:00+05:30",
        "remaining": 10,
        "status": "OPEN",
        "schedule": {
            "id": str(saturday.id),
            "clinicName": "Saturday Clinic",
            "medicalShop": None,
            "address": "12 Park Street",
            "fee": 800,
        },
    }
    assert found[idle.public_id] is None


async def test_the_calendar_shows_the_doctors_own_sessions(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await make_schedule(session, doctor, weekday=THURSDAY, weeks_of_month=[-1])
    await make_appointment(session, schedule, date(2026, 12, 31))
    await session.commit()
    # when (the frontend's example: December 2026)
    body = await gql(MY_CALENDAR, example_variables("MyCalendar"), token=token)
    # then
    assert body["data"]["me"]["sessions"] == [
        {
            "date": "2026-12-31",
            "startsAt": "2026-12-31T18:00:00+05:30",
            "capacity": 10,
            "bookedCount": 1,
            "remaining": 9,
            "status": "NOT_YET_OPEN",
            "schedule": {
                "id": str(schedule.id),
                "clinicName": "Test Clinic",
                "address": "12 Park Street",
            },
        }
    ]
