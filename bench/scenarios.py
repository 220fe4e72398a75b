"""The bench's requests: each read operation with realistic variables picked from the bench data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from bench.client import Request
from bench.floor import asyncpg_dsn
from db.enums import AccountRole
from resolvers.accounts.tokens import issue_token
from resolvers.platform.keys import keyring_of
from settings import Settings
from tests.operations import operation

TYPENAME = "{ __typename }"
# The reference shape of the Node.js comparison: a page of 50 doctors with category and schedules.
REFERENCE_DOCTORS = """query ReferenceDoctors50($filter: DoctorFilter) {
  doctors(filter: $filter, orderBy: NAME, first: 50) {
    edges {
      node { id publicId name city category { name } schedules { id weekday startTime fee } }
    }
  }
}"""


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    graphql: Request
    floor: Request


def _graphql(query: str, variables: dict[str, Any], token: str | None = None) -> Request:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    body = orjson.dumps({"query": query, "variables": variables})
    return Request("/graphql", body, headers)


def _floor(name: str, variables: dict[str, Any], token: str | None = None) -> Request:
    headers = (("Authorization", f"Bearer {token}"),) if token else ()
    return Request(f"/floor/{name}", orjson.dumps(variables), headers)


async def pick(url: str, settings: Settings) -> list[Scenario]:
    """Scenarios over real rows: the largest category, a doctor with a vacation, a full session."""
    dsn, kwargs = asyncpg_dsn(url)
    db = await asyncpg.connect(dsn, **kwargs)
    try:
        today: date = await db.fetchval("SELECT (now() AT TIME ZONE 'Asia/Kolkata')::date")
        category = await db.fetchval(
            """SELECT category_id FROM accounts WHERE role = 'DOCTOR' AND status = 'ACTIVE'
               GROUP BY category_id ORDER BY count(*) DESC, category_id LIMIT 1"""
        )
        # A doctor whose next two weeks include a vacation: the doctor page shows every status.
        doctor = await db.fetchrow(
            """SELECT a.id, a.public_number, a.token_version FROM accounts a
               JOIN vacations v ON v.doctor_id = a.id
               WHERE a.status = 'ACTIVE' AND v.start_date BETWEEN $1 AND $1 + 13
               ORDER BY a.public_number LIMIT 1""",
            today,
        )
        # The fullest session of the coming week, and its doctor.
        full = await db.fetchrow(
            """SELECT p.schedule_id, p.session_date, s.doctor_id, a.token_version, count(*) AS n
               FROM appointments p JOIN schedules s ON s.id = p.schedule_id
               JOIN accounts a ON a.id = s.doctor_id
               WHERE p.session_date BETWEEN $1 AND $1 + 6
               GROUP BY 1, 2, 3, 4 ORDER BY n DESC, 1, 2 LIMIT 1""",
            today,
        )
    finally:
        await db.close()
    now = datetime.now(UTC)

    def token(account_id: int, version: int) -> str:
        return issue_token(
            keyring=keyring_of(settings),
            account_id=account_id,
            role=AccountRole.DOCTOR,
            version=version,
            now=now,
            ttl=timedelta(hours=6),
        ).token

    week = {"from": today.isoformat(), "to": (today + timedelta(days=6)).isoformat()}
    fortnight = {"from": today.isoformat(), "to": (today + timedelta(days=13)).isoformat()}
    by_category = {"categoryIds": [str(category)], "search": None, "city": None}
    search = {"filter": by_category, "orderBy": "RELEVANCE", "after": None}
    page = {"publicId": f"MMD-{doctor['public_number']}", **fortnight}
    calendar = {"from": today.isoformat(), "to": (today + timedelta(days=30)).isoformat()}
    doctor_token = token(doctor["id"], doctor["token_version"])
    listed = {"scheduleId": str(full["schedule_id"]), "date": full["session_date"].isoformat()}
    list_token = token(full["doctor_id"], full["token_version"])
    find = {"filter": {**week, "categoryIds": [str(category)], "onlyBookable": True}, "first": 20}
    reference = {"filter": {"categoryIds": [str(category)]}, "first": 50}
    profile = {"publicId": page["publicId"]}
    return [
        Scenario("Typename", "`{ __typename }`", _graphql(TYPENAME, {}), _floor("Typename", {})),
        Scenario(
            "SearchDoctors 20",
            f"category {category}, first 20, nextAvailableSession",
            _graphql(operation("SearchDoctors"), {**search, "first": 20}),
            _floor("SearchDoctors", {**search, "first": 20}),
        ),
        Scenario(
            "SearchDoctors 50",
            f"category {category}, first 50, nextAvailableSession",
            _graphql(operation("SearchDoctors"), {**search, "first": 50}),
            _floor("SearchDoctors", {**search, "first": 50}),
        ),
        Scenario(
            "DoctorPage",
            f"{page['publicId']}, 14-day sessions",
            _graphql(operation("DoctorPage"), page),
            _floor("DoctorPage", page),
        ),
        Scenario(
            "FindSessions",
            f"category {category}, 7 days, only bookable, first 20",
            _graphql(operation("FindSessions"), find),
            _floor("FindSessions", find),
        ),
        Scenario(
            "MyCalendar",
            f"doctor {doctor['id']}, 31 days",
            _graphql(operation("MyCalendar"), calendar, doctor_token),
            _floor("MyCalendar", calendar, doctor_token),
        ),
        Scenario(
            "SessionAppointments",
            f"schedule {listed['scheduleId']} on {listed['date']} ({full['n']} booked)",
            _graphql(operation("SessionAppointments"), listed, list_token),
            _floor("SessionAppointments", listed, list_token),
        ),
        Scenario(
            "Ref: 50 doctors",
            f"category {category}, orderBy NAME, first 50, category + schedules",
            _graphql(REFERENCE_DOCTORS, reference),
            _floor("ReferenceDoctors50", reference),
        ),
        Scenario(
            "Ref: profile",
            f"DoctorPage without sessions, {page['publicId']}",
            _graphql(operation("DoctorPage", without=("sessions",)), profile),
            _floor("ReferenceProfile", profile),
        ),
    ]
