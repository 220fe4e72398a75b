"""Feed settings and storage: absolute links from PUBLIC_BASE_URL, and a token for every account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app import create_app
from db.session import Database
from resolvers.platform.clock import FixedClock
from settings import Settings, SettingsError
from tests import database as testdb
from tests import factories
from tests.conftest import GraphQLClient
from tests.feeds.support import integration_operation
from tests.scheduling_support import signed_in_doctor

MY_CALENDAR_FEED = integration_operation("MyCalendarFeed")
MY_APPOINTMENT_CALENDAR = integration_operation("MyAppointmentCalendar")


def test_public_base_url_is_read_without_its_trailing_slash() -> None:
    # when
    settings = Settings.from_env({"PUBLIC_BASE_URL": "https://api.example.org/medimyth/"})
    # then
    assert settings.public_base_url == "https://api.example.org/medimyth"
    assert Settings.from_env({}).public_base_url is None
    assert Settings.from_env({}).calendar_feed_requests_per_hour == 60


@pytest.mark.parametrize(
    "raw", ["api.example.org", "ftp://api.example.org", "https://", "https://x.org/?a=1"]
)
def test_a_public_base_url_that_is_not_an_http_origin_stops_the_start(raw: str) -> None:
    # when / then
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        Settings.from_env({"PUBLIC_BASE_URL": raw})


def test_a_feed_budget_below_one_stops_the_start() -> None:
    # when / then
    with pytest.raises(SettingsError, match="CALENDAR_FEED_REQUESTS_PER_HOUR"):
        Settings.from_env({"CALENDAR_FEED_REQUESTS_PER_HOUR": "0"})


async def test_links_point_at_public_base_url_when_set_and_at_the_request_otherwise(
    gql: GraphQLClient,
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
    database: Database,
) -> None:
    # given a doctor with a booking, and an app with a public base URL
    doctor, token = await signed_in_doctor(session, settings=settings, clock=clock)
    schedule = await factories.make_schedule(session, doctor, weekday=3)
    booked = await factories.make_appointment(
        session, schedule, date(2026, 12, 3), manage_token="m"
    )
    await session.commit()
    app = create_app(
        replace(settings, public_base_url="https://api.example.org/v1"),
        clock=clock,
        database=database,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://internal:8000") as http:
        public = GraphQLClient(http)
        # when
        feed = await public(MY_CALENDAR_FEED, token=token)
        ics = await public(
            MY_APPOINTMENT_CALENDAR, {"publicId": booked.public_id, "manageToken": "m"}
        )
    local = await gql(MY_CALENDAR_FEED, token=token)
    # then
    assert feed["data"]["me"]["calendarFeedUrl"] == (
        f"https://api.example.org/v1/calendar/doctors/{doctor.calendar_feed_token}.ics"
    )
    assert ics["data"]["myAppointment"]["calendarUrl"].startswith(
        f"https://api.example.org/v1/calendar/appointments/{booked.public_id}.ics?sig="
    )
    assert local["data"]["me"]["calendarFeedUrl"].startswith("http://testserver/calendar/doctors/")


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    url = await testdb.create_database(database_url, prefix="medimyth_feeds_migration")
    yield url
    await testdb.drop_database(url)


@pytest.mark.slow
async def test_accounts_that_exist_before_the_migration_each_get_their_own_token(
    empty_database: str,
) -> None:
    # given two accounts saved before calendar feeds existed
    testdb.alembic(empty_database, "upgrade", "0011-1")  # the revision before feeds
    await testdb.fetch(
        empty_database,
        "INSERT INTO accounts (role, email, password_hash, name, time_zone) VALUES"
        " ('ADMIN', 'a@example.org', 'x', 'A', 'UTC'), ('ADMIN', 'b@example.org', 'x', 'B', 'UTC')",
    )
    before = await testdb.fetch(
        empty_database,
        "SELECT 1 FROM information_schema.columns"
        " WHERE table_name = 'accounts' AND column_name = 'calendar_feed_token'",
    )
    assert before == []
    # when
    testdb.alembic(empty_database, "upgrade", "0011")
    rows = await testdb.fetch(empty_database, "SELECT calendar_feed_token FROM accounts")
    # then
    tokens = [row["calendar_feed_token"] for row in rows]
    assert len(tokens) == 2
    assert len(set(tokens)) == 2
    assert all(len(token) == 64 and set(token) <= set("0123456789abcdef") for token in tokens)
