"""manage.py: admins come from the command line; demo data lands once, in an empty database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from resolvers.accounts.passwords import verify_password
from tests import database as testdb
from tests.database import fetch, manage


@pytest.fixture
async def migrated_database(database_url: str) -> AsyncIterator[str]:
    url = await testdb.create_database(database_url, prefix="medimyth_manage")
    testdb.alembic(url, "upgrade", "head")
    yield url
    await testdb.drop_database(url)


@pytest.mark.slow
async def test_create_admin_stores_an_argon2_hash_and_refuses_a_second_one(
    migrated_database: str,
) -> None:
    # when
    first = manage(
        migrated_database,
        "create-admin",
        "--email",
        "Root@Example.org",
        "--password",
        "a long password",
    )
    again = manage(
        migrated_database,
        "create-admin",
        "--email",
        "root@example.org",
        "--password",
        "another password",
    )
    # then
    assert first.returncode == 0, first.stderr
    assert again.returncode == 1
    assert "already exists" in again.stderr
    rows = await fetch(
        migrated_database, "SELECT id, email, role, status, password_hash FROM accounts"
    )
    assert len(rows) == 1
    assert (rows[0]["email"], rows[0]["role"], rows[0]["status"]) == (
        "root@example.org",
        "ADMIN",
        "ACTIVE",
    )
    assert rows[0]["password_hash"].startswith("$argon2id$")
    assert verify_password(rows[0]["password_hash"], "a long password")
    trail = await fetch(
        migrated_database,
        "SELECT action, actor_kind, actor_account_id, target_kind, target_id, client_address,"
        " details FROM audit_events",
    )
    assert [tuple(row.values()) for row in trail] == [
        ("ADMIN_CREATED", "SYSTEM", None, "ACCOUNT", rows[0]["id"], None, "{}")
    ]


@pytest.mark.slow
async def test_create_admin_refuses_a_short_password(migrated_database: str) -> None:
    # when
    result = manage(migrated_database, "create-admin", "--email", "a@b.org", "--password", "short")
    # then
    assert result.returncode == 2
    assert await fetch(migrated_database, "SELECT id FROM accounts") == []


@pytest.mark.slow
async def test_seed_fills_an_empty_database_once(migrated_database: str) -> None:
    # when
    first = manage(migrated_database, "seed", "--if-empty")
    second = manage(migrated_database, "seed", "--if-empty")
    # then
    assert first.returncode == 0, first.stderr
    assert "seeded demo data" in first.stdout
    assert "nothing seeded" in second.stdout
    cities = await fetch(
        migrated_database,
        "SELECT DISTINCT city FROM accounts WHERE role = 'DOCTOR' AND status = 'ACTIVE'",
    )
    assert len(cities) >= 4
    seats = await fetch(
        migrated_database,
        "SELECT s.booked_count, count(a.id) AS booked FROM session_seats s"
        " JOIN appointments a USING (schedule_id, session_date)"
        " GROUP BY s.schedule_id, s.session_date, s.booked_count",
    )
    assert seats
    assert all(row["booked_count"] == row["booked"] for row in seats)
    doctors_without_schedules = await fetch(
        migrated_database,
        "SELECT id FROM accounts d WHERE role = 'DOCTOR' AND status = 'ACTIVE'"
        " AND NOT EXISTS (SELECT 1 FROM schedules s WHERE s.doctor_id = d.id)",
    )
    assert doctors_without_schedules == []
