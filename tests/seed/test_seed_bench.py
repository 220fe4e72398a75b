"""manage.py seed --size bench: the spec's counts, deterministic, and every row within the rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from db import seed_bench
from resolvers.platform.calendar import WeeklyPattern
from tests import database as testdb
from tests.database import fetch, manage

ZONE = ZoneInfo("Asia/Kolkata")


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    url = await testdb.create_database(database_url, prefix="medimyth_bench")
    testdb.alembic(url, "upgrade", "head")
    yield url
    await testdb.drop_database(url)


async def scalar(url: str, query: str) -> object:
    return (await fetch(url, query))[0][0]


def test_the_plan_is_the_same_every_time_for_the_same_day() -> None:
    # given one moment
    now = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    size = seed_bench.BenchSize(doctors=50, vacations=10, appointments=2_000)

    # when the plan is made twice
    first = seed_bench.plan(now=now, zone=ZONE, size=size)
    second = seed_bench.plan(now=now, zone=ZONE, size=size)

    # then the rows are identical
    assert first == second
    assert len(first.appointments) == 2_000


@pytest.mark.slow
async def test_bench_seed_writes_the_spec_counts_and_keeps_every_rule(
    empty_database: str,
) -> None:
    # when the bench dataset is seeded into an empty database
    result = manage(empty_database, "seed", "--size", "bench")

    # then the counts are the spec's
    assert result.returncode == 0, result.stderr
    assert "200,000 appointments" in result.stdout
    counts = await fetch(
        empty_database,
        "SELECT (SELECT count(*) FROM categories), "
        "(SELECT count(*) FROM accounts WHERE role = 'DOCTOR' AND status = 'ACTIVE'"
        "  AND public_number IS NOT NULL), "
        "(SELECT count(*) FROM schedules WHERE is_active), (SELECT count(*) FROM vacations), "
        "(SELECT count(*) FROM appointments)",
    )
    assert tuple(counts[0]) == (30, 2_000, 8_000, 400, 200_000)

    # and every session with appointments is a real occurrence of its schedule
    schedules = {
        row["id"]: WeeklyPattern(row["weekday"], frozenset(row["weeks_of_month"]))
        for row in await fetch(empty_database, "SELECT id, weekday, weeks_of_month FROM schedules")
    }
    sessions = await fetch(
        empty_database, "SELECT DISTINCT schedule_id, session_date FROM appointments"
    )
    assert all(schedules[s["schedule_id"]].falls_on(s["session_date"]) for s in sessions)

    # and queues run 1..n, the seat counters match, and no limit is exceeded
    broken_queues = await scalar(
        empty_database,
        "SELECT count(*) FROM (SELECT count(*) AS n, min(queue_number) AS low,"
        " max(queue_number) AS high, count(DISTINCT queue_number) AS different"
        " FROM appointments GROUP BY schedule_id, session_date) AS q"
        " WHERE low <> 1 OR high <> n OR different <> n",
    )
    mismatched_seats = await scalar(
        empty_database,
        "SELECT count(*) FROM (SELECT schedule_id, session_date,"
        " count(*) FILTER (WHERE status = 'BOOKED') AS booked, max(queue_number) AS last"
        " FROM appointments GROUP BY schedule_id, session_date) AS a"
        " FULL JOIN session_seats AS s USING (schedule_id, session_date)"
        " WHERE s.booked_count IS DISTINCT FROM a.booked"
        " OR s.last_queue_number IS DISTINCT FROM a.last",
    )
    over_limit = await scalar(
        empty_database,
        "SELECT count(*) FROM session_seats AS s JOIN schedules ON schedules.id = s.schedule_id"
        " WHERE s.last_queue_number > patient_limit",
    )
    assert (broken_queues, mismatched_seats, over_limit) == (0, 0, 0)

    # and vacations block their own doctor's schedules over their range, with nothing booked inside
    bad_links = await scalar(
        empty_database,
        "SELECT count(*) FROM vacation_schedules AS vs JOIN vacations AS v ON v.id = vs.vacation_id"
        " JOIN schedules AS s ON s.id = vs.schedule_id"
        " WHERE vs.period <> daterange(v.start_date, v.end_date, '[]')"
        " OR s.doctor_id <> v.doctor_id",
    )
    booked_on_vacation = await scalar(
        empty_database,
        "SELECT count(*) FROM appointments AS a JOIN vacation_schedules AS vs"
        " ON vs.schedule_id = a.schedule_id AND vs.period @> a.session_date",
    )
    assert (bad_links, booked_on_vacation) == (0, 0)

    # when it is asked for again only if empty
    again = manage(empty_database, "seed", "--size", "bench", "--if-empty")

    # then nothing more is written
    assert again.returncode == 0, again.stderr
    assert "nothing seeded" in again.stdout
    assert await scalar(empty_database, "SELECT count(*) FROM appointments") == 200_000
