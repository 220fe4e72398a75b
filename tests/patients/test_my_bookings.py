"""myBookings: every appointment of the signed-in phone, newest session first, a page at a time."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from resolvers.platform.clock import FixedClock
from settings import PoolMode, Settings
from tests.accounts_support import error_code
from tests.conftest import GraphQLClient, StatementLog
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.patients_support import patients_operation, phone_token
from tests.scheduling_support import signed_in_doctor
from tests.waitlist_support import make_entry

MY_BOOKINGS = patients_operation("MyBookings")
PHONE = "+919830012345"
DEC_3, DEC_4, DEC_10 = date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 10)
# The page (with its total); then one batch each: the doctors, the sessions' vacations and
# seats, and the live queue's four reads behind position and estimatedCallAt.
BOOKINGS_BUDGET = 7
# With the waitlist: its entries with their places in line (one read), and the sessions
# of entries whose schedules the page did not hold (one batch each of schedules, doctors,
# vacations and seats): at most 12, whatever the page size or the number of entries.
BUDGET = 12


def public_ids(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["publicId"] for edge in body["data"]["myBookings"]["edges"]]


async def test_the_phone_sees_its_bookings_newest_session_first_and_no_one_elses(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given the phone's bookings in three sessions (two on one day, by start time) and a
    # cancelled one, and another phone's booking
    doctor = await make_doctor(session, name="Dr. Asha Rao")
    evening = await make_schedule(session, doctor, weekday=3, start_time=time(18, 0))
    morning = await make_schedule(
        session, doctor, weekday=3, start_time=time(8, 0), end_time=time(9, 0)
    )
    friday = await make_schedule(session, doctor, weekday=4)
    early = await make_appointment(session, morning, DEC_3, patient_phone=PHONE)
    late = await make_appointment(session, evening, DEC_3, patient_phone=PHONE)
    cancelled = await make_appointment(
        session,
        friday,
        DEC_4,
        patient_phone=PHONE,
        status=AppointmentStatus.CANCELLED_BY_PATIENT,
        cancelled_at=clock.now(),
    )
    later = await make_appointment(session, evening, DEC_10, patient_phone=PHONE)
    await make_appointment(session, evening, DEC_3, patient_phone="+919830099999")
    waiting, _ = await make_entry(session, friday, DEC_4, settings=settings, patient_phone=PHONE)
    await make_entry(session, friday, DEC_4, settings=settings, patient_name="Someone Else")
    await session.commit()
    token = phone_token(PHONE, settings=settings, clock=clock)
    # when
    body = await gql(MY_BOOKINGS, {"first": 20, "after": None}, token=token)
    # then
    assert "errors" not in body, body
    assert public_ids(body) == [item.public_id for item in (later, cancelled, late, early)]
    first = body["data"]["myBookings"]["edges"][0]["node"]
    assert first == {
        "publicId": later.public_id,
        "status": "BOOKED",
        "queueNumber": 1,
        "patientName": later.patient_name,
        "canCancel": True,
        "position": 0,
        "estimatedCallAt": "2026-12-10T18:00:00+05:30",
        "session": {"date": "2026-12-10", "startsAt": "2026-12-10T18:00:00+05:30"},
        "doctor": {"publicId": doctor.public_id, "name": "Dr. Asha Rao"},
    }
    assert body["data"]["myBookings"]["pageInfo"]["hasNextPage"] is False
    assert body["data"]["myWaitlist"] == [
        {
            "publicId": waiting.public_id,
            "status": "WAITING",
            "position": 1,
            "session": {"date": "2026-12-04"},
        }
    ]


async def test_pages_follow_the_cursor_rules(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given five bookings of the phone on five Thursdays
    schedule = await make_schedule(session, await make_doctor(session), weekday=3)
    days = [date(2026, 12, 3 + 7 * n) for n in range(4)] + [date(2026, 12, 31)]
    booked = [await make_appointment(session, schedule, day, patient_phone=PHONE) for day in days]
    await session.commit()
    token = phone_token(PHONE, settings=settings, clock=clock)
    newest_first = [item.public_id for item in reversed(booked)]
    # when
    pages, after = [], None
    for _ in range(3):
        body = await gql(MY_BOOKINGS, {"first": 2, "after": after}, token=token)
        pages.append(public_ids(body))
        info = body["data"]["myBookings"]["pageInfo"]
        after = info["endCursor"]
    past_the_end = await gql(MY_BOOKINGS, {"first": 2, "after": after}, token=token)
    bad_cursor = await gql(MY_BOOKINGS, {"first": 2, "after": "nonsense"}, token=token)
    too_many = await gql(MY_BOOKINGS, {"first": 101}, token=token)
    # then
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert info["hasNextPage"] is False
    assert public_ids(past_the_end) == []
    assert error_code(bad_cursor) == "BAD_USER_INPUT"
    assert error_code(too_many) == "BAD_USER_INPUT"


async def test_without_a_phone_token_there_is_nothing_to_list(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a doctor's token and an expired phone token
    _, doctor_token = await signed_in_doctor(session, settings=settings, clock=clock)
    expired = phone_token(PHONE, settings=settings, clock=clock)
    # when
    anonymous = await gql(MY_BOOKINGS, {"first": 5})
    as_doctor = await gql(MY_BOOKINGS, {"first": 5}, token=doctor_token)
    clock.advance(timedelta(minutes=30))
    late = await gql(MY_BOOKINGS, {"first": 5}, token=expired)
    # then
    assert [error_code(body) for body in (anonymous, as_doctor, late)] == ["UNAUTHENTICATED"] * 3
    assert [body["data"] for body in (anonymous, as_doctor, late)] == [None] * 3


async def test_the_statements_do_not_grow_with_the_page(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    count_statements: Callable[..., AbstractContextManager[StatementLog]],
) -> None:
    # given 30 bookings of the phone with ten doctors, and ten waitlist entries
    for _ in range(10):
        doctor = await make_doctor(session)
        schedules = [await make_schedule(session, doctor, weekday=day) for day in (3, 4, 5)]
        for schedule, day in zip(schedules, (DEC_3, DEC_4, date(2026, 12, 5)), strict=True):
            await make_appointment(session, schedule, day, patient_phone=PHONE)
        await make_entry(session, schedules[0], DEC_10, settings=settings, patient_phone=PHONE)
    await session.commit()
    token = phone_token(PHONE, settings=settings, clock=clock)
    bookings_only = patients_operation("MyBookings", without=("myWaitlist",))
    counts, whole = [], []
    for size in (1, 5, 30):
        # when
        with count_statements() as log:
            body = await gql(bookings_only, {"first": size}, token=token)
        with count_statements() as both:
            full = await gql(MY_BOOKINGS, {"first": size}, token=token)
        # then
        assert len(public_ids(body)) == len(public_ids(full)) == size
        assert len(full["data"]["myWaitlist"]) == 10
        counts.append(log.count)
        whole.append(both.count)
    # (behind a transaction pooler the request's transaction first sets its limits: db/session.py)
    pooled = settings.db_pool_mode is PoolMode.TRANSACTION
    assert counts == [BOOKINGS_BUDGET + pooled] * 3
    assert max(whole) <= BUDGET + pooled, whole


async def test_the_waitlist_of_a_phone_needs_its_phone_token(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given an entry of the phone, and a doctor's token
    schedule = await make_schedule(session, await make_doctor(session))
    await make_entry(session, schedule, DEC_3, settings=settings, patient_phone=PHONE)
    _, doctor_token = await signed_in_doctor(session, settings=settings, clock=clock)
    waitlist_only = patients_operation("MyBookings", without=("myBookings",))
    # when
    anonymous = await gql(waitlist_only)
    as_doctor = await gql(waitlist_only, token=doctor_token)
    own = await gql(waitlist_only, token=phone_token(PHONE, settings=settings, clock=clock))
    other = await gql(
        waitlist_only, token=phone_token("+919830099999", settings=settings, clock=clock)
    )
    # then
    assert [error_code(body) for body in (anonymous, as_doctor)] == ["UNAUTHENTICATED"] * 2
    assert [entry["status"] for entry in own["data"]["myWaitlist"]] == ["WAITING"]
    assert other["data"]["myWaitlist"] == []
