"""A doctor's calendar feed: what a calendar app parses matches the sessions the API reports."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from app import create_app
from db.enums import DoctorStatus
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests import factories
from tests.accounts_support import error_code, token_for
from tests.conftest import GraphQLClient
from tests.feeds.support import events_of, integration_operation, time_zones_of
from tests.scheduling_support import signed_in_doctor

MY_CALENDAR_FEED = integration_operation("MyCalendarFeed")
ROTATE_CALENDAR_FEED = integration_operation("RotateCalendarFeed")
PENDING_DOCTORS_FEED = """
query PendingDoctorsFeeds { pendingDoctors(first: 10) { edges { node { calendarFeedUrl } } } }
"""
MY_SESSIONS = """
query MySessions($from: Date!, $to: Date!) {
  me {
    sessions(from: $from, to: $to) {
      date startsAt endsAt bookedCount capacity status schedule { id }
    }
  }
}
"""
# 2027-02-20 09:00 in New York: the feed's 60 days cross the start of DST (14 March).
BEFORE_DST = datetime(2027, 2, 20, 14, 0, tzinfo=UTC)


async def feed_url(gql: GraphQLClient, token: str) -> str:
    body = await gql(MY_CALENDAR_FEED, token=token)
    url: str = body["data"]["me"]["calendarFeedUrl"]
    return url


async def test_the_feed_is_the_doctors_sessions_for_60_days_across_a_dst_change(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a New York doctor with three weekly chambers, bookings and a vacation
    clock.set(BEFORE_DST)
    doctor, token = await signed_in_doctor(
        session, settings=settings, clock=clock, time_zone="America/New_York"
    )
    mondays = await factories.make_schedule(session, doctor, weekday=0, patient_limit=10)
    thursdays = await factories.make_schedule(
        session, doctor, weekday=3, start_time=time(9, 30), end_time=None, patient_limit=None
    )
    # Wednesdays too: the window's last day (21 April, 60 days after today) is one
    await factories.make_schedule(session, doctor, weekday=2, start_time=time(12))
    await factories.make_appointment(session, mondays, date(2027, 3, 15))
    await factories.make_appointment(session, mondays, date(2027, 3, 15))
    await factories.make_vacation(
        session, doctor, date(2027, 4, 1), date(2027, 4, 8), schedules=[mondays, thursdays]
    )
    await session.commit()
    first, last = date(2027, 2, 20), date(2027, 4, 21)
    reported = (await gql(MY_SESSIONS, {"from": str(first), "to": str(last)}, token=token))["data"][
        "me"
    ]["sessions"]
    # when a calendar app fetches the feed
    response = await client.get(await feed_url(gql, token))
    # then it is an iCalendar document with one event per session the API reports
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    seen = {event.uid: event for event in events_of(response.content)}
    expected = {f"session-{s['schedule']['id']}-{s['date']}@medimyth": s for s in reported}
    assert len(reported) == 9 + 8 + 9
    assert max(s["date"] for s in reported) == "2027-04-21"
    assert set(seen) == set(expected)
    for uid, reported_session in expected.items():
        event = seen[uid]
        starts_at = datetime.fromisoformat(reported_session["startsAt"])
        ends_at = reported_session["endsAt"]
        assert event.starts_at == starts_at
        assert event.ends_at == (
            datetime.fromisoformat(ends_at) if ends_at else starts_at + timedelta(hours=1)
        )
        assert event.tzid == "America/New_York"
        cancelled = reported_session["status"] == "ON_VACATION"
        assert event.status == ("CANCELLED" if cancelled else "CONFIRMED")
        capacity = reported_session["capacity"]
        booked = reported_session["bookedCount"]
        assert (f"Booked: {booked} of {capacity}" if capacity else f"Booked: {booked}") in (
            event.description
        )
    # the wall clock stays 18:00 on both sides of the change, while the offset moves
    before, after = (
        seen[f"session-{mondays.id}-2027-03-08@medimyth"],
        seen[f"session-{mondays.id}-2027-03-15@medimyth"],
    )
    assert (before.starts_at.time(), after.starts_at.time()) == (time(18), time(18))
    assert (before.starts_at.utcoffset(), after.starts_at.utcoffset()) == (
        timedelta(hours=-5),
        timedelta(hours=-4),
    )
    assert "Booked: 2 of 10" in after.description
    # vacations are cancelled sessions, not missing ones
    assert {uid for uid, e in seen.items() if e.status == "CANCELLED"} == {
        f"session-{mondays.id}-2027-04-05@medimyth",
        f"session-{thursdays.id}-2027-04-01@medimyth",
        f"session-{thursdays.id}-2027-04-08@medimyth",
    }
    assert time_zones_of(response.content) == ["America/New_York"]
    calendar = Calendar.from_ical(response.content)
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert calendar.decoded("X-PUBLISHED-TTL") == "PT1H"  # an X- property stays text


async def test_the_feed_holds_no_patient_name_or_phone(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor, weekday=3)
    booked = await factories.make_appointment(session, schedule, date(2026, 12, 3))
    await session.commit()
    # when
    response = await client.get(await feed_url(gql, token))
    # then
    assert "Booked: 1 of 10" in response.text
    assert str(booked.patient_phone) not in response.text
    assert str(booked.patient_phone).removeprefix("+91") not in response.text
    assert booked.patient_name not in response.text


async def test_an_unchanged_feed_keeps_its_uids_and_etag_and_answers_304(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a feed fetched once
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor, weekday=3)
    await session.commit()
    url = await feed_url(gql, token)
    first = await client.get(url)
    # when it is fetched again, later, plainly and conditionally
    clock.advance(timedelta(minutes=20))
    again = await client.get(url)
    by_etag = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    by_date = await client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    # then nothing changed: the same bytes, UIDs and validators, and 304s without a body
    assert again.content == first.content
    assert [e.uid for e in events_of(again.content)] == [e.uid for e in events_of(first.content)]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["last-modified"] == first.headers["last-modified"]
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert (by_date.status_code, by_date.content) == (304, b"")
    assert by_etag.headers["etag"] == first.headers["etag"]
    # and when a patient books, the next fetch is new, dated at that fetch
    await factories.make_appointment(session, schedule, date(2026, 12, 3))
    await session.commit()
    clock.advance(timedelta(minutes=20))
    changed = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]
    assert changed.headers["last-modified"] == "Tue, 01 Dec 2026 04:10:00 GMT"
    assert "Booked: 1 of 10" in changed.text


async def test_rotating_the_feed_stops_the_old_url_at_once(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given
    _doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    old = await feed_url(gql, token)
    assert (await client.get(old)).status_code == 200
    # when
    body = await gql(ROTATE_CALENDAR_FEED, token=token)
    # then
    rotated = body["data"]["rotateCalendarFeed"]
    assert rotated["__typename"] == "CalendarFeedRotated"
    new = rotated["calendarFeedUrl"]
    assert new != old
    assert new == await feed_url(gql, token)
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200


async def test_wrong_forged_and_foreign_tokens_find_no_feed(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a doctor's real feed, and an admin (whose account has a token too)
    _doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    admin = await factories.make_admin(session)
    await session.commit()
    url = await feed_url(gql, token)
    real = url.rsplit("/", 1)[1].removesuffix(".ics")
    flipped = real[:-1] + ("0" if real[-1] != "0" else "1")
    guesses = [flipped, "0" * 64, real.upper(), real[:32], "not-a-token", admin.calendar_feed_token]
    # when
    answers = [await client.get(f"/calendar/doctors/{guess}.ics") for guess in guesses]
    # then every guess is the same 404, and the real one still works
    assert [answer.status_code for answer in answers] == [404] * len(guesses)
    assert {answer.json()["errors"][0]["extensions"]["code"] for answer in answers} == {"NOT_FOUND"}
    assert (await client.get(url)).status_code == 200


async def test_each_token_has_its_own_hourly_budget(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    database: Database,
) -> None:
    # given an app allowing three fetches per token per hour, and two doctors' feeds
    app: Starlette = create_app(
        replace(settings, calendar_feed_requests_per_hour=3), clock=clock, database=database
    )
    _, first_token = await signed_in_doctor(session, settings=settings, clock=clock)
    _, second_token = await signed_in_doctor(session, settings=settings, clock=clock)
    first, second = await feed_url(gql, first_token), await feed_url(gql, second_token)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # when the first feed is fetched four times within the hour
        statuses = [(await client.get(first)).status_code for _ in range(4)]
        refused = await client.get(first)
        other = await client.get(second)
        clock.advance(timedelta(minutes=30))  # 09:00 IST is 03:30 UTC: the hour ends at 04:00
        next_hour = await client.get(first)
    # then the fourth is refused until the next clock hour; the other token is untouched
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1800"
    assert other.status_code == 200
    assert next_hour.status_code == 200


async def test_only_the_doctor_sees_or_rotates_their_feed(
    gql: GraphQLClient, session: AsyncSession, settings: Settings, clock: FixedClock
) -> None:
    # given a pending doctor and an admin
    await factories.make_doctor(session, status=DoctorStatus.PENDING_ACTIVATION)
    admin = await factories.make_admin(session)
    await session.commit()
    admin_token = token_for(admin, settings=settings, clock=clock)
    # when the admin asks for feed URLs (their own, the doctor's) and to rotate
    own = await gql(MY_CALENDAR_FEED, token=admin_token)
    doctors = await gql(PENDING_DOCTORS_FEED, token=admin_token)
    rotate = await gql(ROTATE_CALENDAR_FEED, token=admin_token)
    anonymous = await gql(ROTATE_CALENDAR_FEED)
    # then every one is refused, and no URL is shown
    assert error_code(own) == "FORBIDDEN"
    assert own["data"]["me"]["calendarFeedUrl"] is None
    assert {e["extensions"]["code"] for e in doctors["errors"]} == {"FORBIDDEN"}
    assert "calendar/doctors" not in str(doctors["data"])
    assert error_code(rotate) == "FORBIDDEN"
    assert error_code(anonymous) == "UNAUTHENTICATED"


async def test_the_request_log_never_holds_a_feed_token(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given
    _, token = await signed_in_doctor(session, settings=settings, clock=clock)
    url = await feed_url(gql, token)
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    # when
    with caplog.at_level(logging.INFO, logger="medimyth.request"):
        assert (await client.get(url)).status_code == 200
    # then
    lines = [record.getMessage() for record in caplog.records]
    assert any("/calendar/doctors/<token>.ics 200" in line for line in lines)
    assert not any(secret in line for line in lines)


async def test_a_suspended_doctor_keeps_their_feed_but_cannot_rotate_it(
    gql: GraphQLClient,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # given a suspended doctor (their own account stays readable, as `me` does)
    _, token = await signed_in_doctor(
        session, settings=settings, clock=clock, status=DoctorStatus.SUSPENDED
    )
    # when
    url = await feed_url(gql, token)
    fetched = await client.get(url)
    rotate = await gql(ROTATE_CALENDAR_FEED, token=token)
    # then the feed (sessions and counts, no patient data) still works; a change does not
    assert fetched.status_code == 200
    assert error_code(rotate) == "FORBIDDEN"
    assert rotate["data"] is None
    assert await feed_url(gql, token) == url
