"""The floor: the bench's read operations answered by hand-written SQL through asyncpg, no GraphQL.

Run by gunicorn as ``bench.floor:app`` with the same workers, Uvicorn worker,
uvloop and httptools as MediMyth, so the floor includes everything a minimal
hand-written endpoint would pay and nothing more:

- HTTP: the same server stack; a raw ASGI app (no Starlette), the variables
  read from the JSON body with orjson, the route picked by path.
- SQL: an asyncpg pool per worker (prepared statements cached by asyncpg), one
  statement per kind of row (e.g. doctors, their schedules, their vacations and
  seats), no transaction block, columns tuples only, no ORM.
- Logic: the same pure-Python calendar (resolvers/calendar.py) turns schedules,
  vacations and seat counts into sessions and statuses; the same token check
  (resolvers/tokens.read_token, and the account's token version) for doctors.
- Output: the same JSON as the GraphQL answer, encoded with orjson.
- The two reference shapes (ReferenceDoctors50, ReferenceProfile) are one
  statement each that builds the nested JSON in PostgreSQL (json_agg), the way a
  GraphQL-to-SQL compiler does; Python passes it through with orjson.Fragment.

Each answer carries ``x-bench-statements``, the statements it sent.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from starlette.types import Receive, Scope, Send

from bench.client import WORKER_HEADER, worker_id
from resolvers.accounts.tokens import read_token
from resolvers.platform.calendar import (
    BookingRules,
    Occurrence,
    SessionStatus,
    VacationSpan,
    WeeklyPattern,
    occurrence,
    today_in,
)
from resolvers.platform.keys import keyring_of
from resolvers.platform.pagination import encode_cursor
from settings import get_settings

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
WEEKS = {1: "FIRST", 2: "SECOND", 3: "THIRD", 4: "FOURTH", 5: "FIFTH", -1: "LAST"}
NEXT_AVAILABLE_DAYS = 60
# asyncpg records, read by column name (typed loosely: asyncpg ships no precise stubs).
Row = Any
Answer = tuple[Any, int]  # the "data" value and the statements sent

SCHEDULE_COLUMNS = """s.id, s.doctor_id, s.weekday, s.weeks_of_month, s.start_time, s.end_time,
    s.booking_opens_days_before, s.booking_closes_hours_before, s.patient_limit, s.fee,
    s.clinic_name, s.medical_shop, s.address, s.contact_phone"""
PUBLIC = "a.role = 'DOCTOR' AND a.status = 'ACTIVE'"


def _now() -> datetime:
    return datetime.now(UTC)


def _sessions_of(
    schedules: list[Row],
    zones: dict[int, ZoneInfo],
    facts: dict[int, tuple[list[VacationSpan], dict[date, int]]],
    start: date,
    end: date,
    now: datetime,
) -> list[Occurrence]:
    found = []
    for s in schedules:
        vacations, booked = facts.get(s["id"], ([], {}))
        rules = BookingRules(
            s["booking_opens_days_before"], s["booking_closes_hours_before"], s["patient_limit"]
        )
        pattern = WeeklyPattern(s["weekday"], frozenset(s["weeks_of_month"]))
        for day in pattern.dates(start, end):
            found.append(
                occurrence(
                    schedule_id=s["id"],
                    day=day,
                    start=s["start_time"],
                    end=s["end_time"],
                    zone=zones[s["doctor_id"]],
                    rules=rules,
                    vacations=vacations,
                    booked=booked.get(day, 0),
                    now=now,
                )
            )
    found.sort(key=lambda item: item.sort_key)
    return found


def _first_open(
    schedules: list[Row],
    zone: ZoneInfo,
    facts: dict[int, tuple[list[VacationSpan], dict[date, int]]],
    today: date,
    now: datetime,
) -> Occurrence | None:
    """The earliest OPEN session in 60 days, built a day at a time (as the app does)."""
    by_day: dict[date, list[Row]] = defaultdict(list)
    for s in schedules:
        pattern = WeeklyPattern(s["weekday"], frozenset(s["weeks_of_month"]))
        for day in pattern.dates(today, today + timedelta(days=NEXT_AVAILABLE_DAYS)):
            by_day[day].append(s)
    for day in sorted(by_day):
        found = [
            item
            for item in _sessions_of(
                by_day[day], {s["doctor_id"]: zone for s in by_day[day]}, facts, day, day, now
            )
            if item.status is SessionStatus.OPEN
        ]
        if found:
            return found[0]
    return None


async def _facts(
    db: asyncpg.Connection, ids: list[int], first: date, last: date
) -> dict[int, tuple[list[VacationSpan], dict[date, int]]]:
    rows = await db.fetch(
        """SELECT vs.schedule_id, v.id, v.start_date, v.end_date, NULL::int
           FROM vacation_schedules vs JOIN vacations v ON v.id = vs.vacation_id
           WHERE vs.schedule_id = ANY($1) AND v.start_date <= $3 AND v.end_date >= $2
           UNION ALL
           SELECT schedule_id, NULL, session_date, session_date, booked_count FROM session_seats
           WHERE schedule_id = ANY($1) AND session_date BETWEEN $2 AND $3""",
        ids,
        first,
        last,
    )
    facts: dict[int, tuple[list[VacationSpan], dict[date, int]]] = defaultdict(lambda: ([], {}))
    for schedule_id, vacation_id, first_day, last_day, booked in rows:
        if vacation_id is not None:
            facts[schedule_id][0].append(VacationSpan(vacation_id, first_day, last_day))
        else:
            facts[schedule_id][1][first_day] = booked
    return facts


def _session(item: Occurrence) -> dict[str, Any]:
    times = item.times
    return {
        "date": item.day,
        "startsAt": times.local(times.starts_at),
        "endsAt": None if times.ends_at is None else times.local(times.ends_at),
        "bookingOpensAt": times.local(times.opens_at),
        "bookingClosesAt": times.local(times.closes_at),
        "capacity": item.capacity,
        "bookedCount": item.booked_count,
        "remaining": item.remaining,
        "status": item.status.value,
    }


def _contact_phone(schedule: Row, doctor: Row, *, owner: bool = False) -> str | None:
    if schedule["contact_phone"] is not None:
        return str(schedule["contact_phone"])
    return doctor["phone"] if owner or doctor["phone_visible"] else None


async def search_doctors(db: asyncpg.Connection, v: dict[str, Any]) -> Answer:
    ids = [int(raw) for raw in (v.get("filter") or {}).get("categoryIds") or []]
    first = int(v.get("first") or 20)
    doctors = await db.fetch(
        f"""SELECT a.id, a.public_number, a.name, a.city, a.profile_picture_url, a.time_zone,
                   c.id AS category_id, c.name AS category_name, count(*) OVER () AS total
            FROM accounts a LEFT JOIN categories c ON c.id = a.category_id
            WHERE {PUBLIC} AND a.category_id = ANY($1)
            ORDER BY lower(a.name), a.id LIMIT $2""",
        ids,
        first + 1,
    )
    page = doctors[:first]
    schedules = await db.fetch(
        f"SELECT {SCHEDULE_COLUMNS} FROM schedules s WHERE s.doctor_id = ANY($1) AND s.is_active"
        " ORDER BY s.weekday, s.start_time, s.id",
        [d["id"] for d in page],
    )
    now = _now()
    start = min((today_in(ZoneInfo(d["time_zone"]), now) for d in page), default=now.date())
    end = start + timedelta(days=NEXT_AVAILABLE_DAYS + 1)
    facts = await _facts(db, [s["id"] for s in schedules], start, end)
    by_doctor: dict[int, list[Row]] = defaultdict(list)
    for s in schedules:
        by_doctor[s["doctor_id"]].append(s)
    by_id = {s["id"]: s for s in schedules}
    edges = []
    for index, d in enumerate(page):
        zone = ZoneInfo(d["time_zone"])
        today = today_in(zone, now)
        upcoming = _first_open(by_doctor[d["id"]], zone, facts, today, now)
        node_session = None
        if upcoming is not None:
            s = by_id[upcoming.schedule_id]
            node_session = {
                "date": upcoming.day,
                "startsAt": upcoming.times.local(upcoming.times.starts_at),
                "remaining": upcoming.remaining,
                "status": upcoming.status.value,
                "schedule": {
                    "id": str(s["id"]),
                    "clinicName": s["clinic_name"],
                    "medicalShop": s["medical_shop"],
                    "address": s["address"],
                    "fee": s["fee"],
                },
            }
        edges.append(
            {
                "cursor": encode_cursor(index + 1),
                "node": {
                    "id": str(d["id"]),
                    "publicId": f"MMD-{d['public_number']}",
                    "name": d["name"],
                    "city": d["city"],
                    "profilePictureUrl": d["profile_picture_url"],
                    "category": None
                    if d["category_id"] is None
                    else {"id": str(d["category_id"]), "name": d["category_name"]},
                    "nextAvailableSession": node_session,
                },
            }
        )
    return {
        "doctors": {
            "totalCount": doctors[0]["total"] if doctors else 0,
            "pageInfo": {
                "hasNextPage": len(doctors) > first,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
            "edges": edges,
        }
    }, 3


DOCTOR_COLUMNS = """a.id, a.public_number, a.name, a.description, a.category_label, a.email,
    a.email_visible, a.phone, a.phone_visible, a.registration_number,
    a.registration_number_visible, a.address, a.city, a.time_zone, a.profile_picture_url,
    c.id AS category_id, c.name AS category_name"""


def _schedule(s: Row, doctor: Row) -> dict[str, Any]:
    return {
        "id": str(s["id"]),
        "weekday": WEEKDAYS[s["weekday"]],
        "weeksOfMonth": [WEEKS[w] for w in sorted(s["weeks_of_month"], key=lambda w: w % 7)],
        "startTime": s["start_time"],
        "endTime": s["end_time"],
        "fee": s["fee"],
        "patientLimit": s["patient_limit"],
        "clinicName": s["clinic_name"],
        "medicalShop": s["medical_shop"],
        "address": s["address"],
        "contactPhone": _contact_phone(s, doctor),
        "bookingOpensDaysBefore": s["booking_opens_days_before"],
        "bookingClosesHoursBefore": s["booking_closes_hours_before"],
    }


async def doctor_page(db: asyncpg.Connection, v: dict[str, Any]) -> Answer:
    number = int(str(v["publicId"]).upper().removeprefix("MMD-"))
    d = await db.fetchrow(
        f"""SELECT {DOCTOR_COLUMNS} FROM accounts a LEFT JOIN categories c ON c.id = a.category_id
            WHERE a.public_number = $1 AND {PUBLIC}""",
        number,
    )
    if d is None:
        return {"doctor": None}, 1
    schedules = await db.fetch(
        f"SELECT {SCHEDULE_COLUMNS} FROM schedules s WHERE s.doctor_id = $1 AND s.is_active"
        " ORDER BY s.weekday, s.start_time, s.id",
        d["id"],
    )
    start, end = date.fromisoformat(v["from"]), date.fromisoformat(v["to"])
    facts = await _facts(db, [s["id"] for s in schedules], start, end)
    found = _sessions_of(schedules, {d["id"]: ZoneInfo(d["time_zone"])}, facts, start, end, _now())
    doctor = {
        "id": str(d["id"]),
        "publicId": f"MMD-{d['public_number']}",
        "name": d["name"],
        "description": d["description"],
        "categoryLabel": d["category_label"],
        "category": None
        if d["category_id"] is None
        else {"id": str(d["category_id"]), "name": d["category_name"]},
        "email": d["email"] if d["email_visible"] else None,
        "phone": d["phone"] if d["phone_visible"] else None,
        "registrationNumber": d["registration_number"]
        if d["registration_number_visible"]
        else None,
        "address": d["address"],
        "city": d["city"],
        "timeZone": d["time_zone"],
        "profilePictureUrl": d["profile_picture_url"],
        "schedules": [_schedule(s, d) for s in schedules],
        "sessions": [
            {**_session(item), "schedule": {"id": str(item.schedule_id)}} for item in found
        ],
    }
    return {"doctor": doctor}, 3


async def find_sessions(db: asyncpg.Connection, v: dict[str, Any]) -> Answer:
    f = v["filter"]
    start, end = date.fromisoformat(f["from"]), date.fromisoformat(f["to"])
    weekdays = sorted({(start + timedelta(days=n)).weekday() for n in range(7)})
    ids = [int(raw) for raw in f.get("categoryIds") or []]
    rows = await db.fetch(
        f"""SELECT {SCHEDULE_COLUMNS}, a.time_zone, a.public_number, a.name, c.name AS category
            FROM schedules s JOIN accounts a ON a.id = s.doctor_id
            LEFT JOIN categories c ON c.id = a.category_id
            WHERE {PUBLIC} AND s.is_active AND s.weekday = ANY($1)
              AND (cardinality($2::bigint[]) = 0 OR a.category_id = ANY($2))
            ORDER BY s.id""",
        weekdays,
        ids,
    )
    facts = await _facts(db, [r["id"] for r in rows], start, end)
    zones = {r["doctor_id"]: ZoneInfo(r["time_zone"]) for r in rows}
    found = _sessions_of(list(rows), zones, facts, start, end, _now())
    if f.get("onlyBookable"):
        found = [item for item in found if item.status is SessionStatus.OPEN]
    first = int(v.get("first") or 20)
    by_id = {r["id"]: r for r in rows}
    edges = []
    for index, item in enumerate(found[:first]):
        r = by_id[item.schedule_id]
        edges.append(
            {
                "cursor": encode_cursor(index + 1),
                "node": {
                    "date": item.day,
                    "startsAt": item.times.local(item.times.starts_at),
                    "remaining": item.remaining,
                    "status": item.status.value,
                    "schedule": {
                        "id": str(r["id"]),
                        "clinicName": r["clinic_name"],
                        "medicalShop": r["medical_shop"],
                        "address": r["address"],
                        "fee": r["fee"],
                        "doctor": {
                            "publicId": f"MMD-{r['public_number']}",
                            "name": r["name"],
                            "category": None if r["category"] is None else {"name": r["category"]},
                        },
                    },
                },
            }
        )
    page_info = {
        "hasNextPage": len(found) > first,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return {"findSessions": {"pageInfo": page_info, "edges": edges}}, 2


async def _viewer(db: asyncpg.Connection, headers: dict[bytes, bytes]) -> Row | None:
    raw = headers.get(b"authorization", b"").decode()
    claims = read_token(raw.partition(" ")[2], keyring=keyring_of(get_settings()), now=_now())
    if claims is None:
        return None
    account = await db.fetchrow(
        "SELECT id, role, time_zone, phone, phone_visible, token_version FROM accounts"
        " WHERE id = $1",
        claims.account_id,
    )
    if account is None or account["token_version"] != claims.version:
        return None
    return account


async def my_calendar(db: asyncpg.Connection, v: dict[str, Any], headers: Any) -> Answer:
    me = await _viewer(db, headers)
    assert me is not None, "the bench sends a valid token"
    schedules = await db.fetch(
        f"SELECT {SCHEDULE_COLUMNS} FROM schedules s WHERE s.doctor_id = $1 AND s.is_active"
        " ORDER BY s.weekday, s.start_time, s.id",
        me["id"],
    )
    start, end = date.fromisoformat(v["from"]), date.fromisoformat(v["to"])
    facts = await _facts(db, [s["id"] for s in schedules], start, end)
    found = _sessions_of(
        schedules, {me["id"]: ZoneInfo(me["time_zone"])}, facts, start, end, _now()
    )
    by_id = {s["id"]: s for s in schedules}
    sessions = []
    for item in found:
        s = by_id[item.schedule_id]
        sessions.append(
            {
                "date": item.day,
                "startsAt": item.times.local(item.times.starts_at),
                "capacity": item.capacity,
                "bookedCount": item.booked_count,
                "remaining": item.remaining,
                "status": item.status.value,
                "schedule": {
                    "id": str(s["id"]),
                    "clinicName": s["clinic_name"],
                    "address": s["address"],
                },
            }
        )
    return {"me": {"sessions": sessions}}, 3


async def session_appointments(db: asyncpg.Connection, v: dict[str, Any], headers: Any) -> Answer:
    me = await _viewer(db, headers)
    assert me is not None, "the bench sends a valid token"
    rows = await db.fetch(
        """SELECT p.id, p.queue_number, p.patient_name, p.patient_age,
                  p.patient_phone, p.status, p.created_at
           FROM appointments p JOIN schedules s ON s.id = p.schedule_id
           WHERE p.schedule_id = $1 AND p.session_date = $2 AND s.doctor_id = $3
           ORDER BY p.queue_number""",
        int(v["scheduleId"]),
        date.fromisoformat(v["date"]),
        me["id"],
    )
    return {
        "sessionAppointments": [
            {
                "id": str(r["id"]),
                "publicId": f"MMA-{r['id']}",
                "queueNumber": r["queue_number"],
                "patientName": r["patient_name"],
                "patientAge": r["patient_age"],
                "patientPhone": r["patient_phone"],
                "status": r["status"],
                "createdAt": r["created_at"],
            }
            for r in rows
        ]
    }, 2


# The reference shapes: one statement each, JSON built by PostgreSQL (like a query compiler).
SCHEDULES_JSON = """COALESCE((
    SELECT json_agg(json_build_object({fields}) ORDER BY s.weekday, s.start_time, s.id)
    FROM schedules s WHERE s.doctor_id = a.id AND s.is_active), '[]'::json)"""
WEEKDAY_SQL = (
    "(ARRAY['MONDAY','TUESDAY','WEDNESDAY','THURSDAY','FRIDAY','SATURDAY','SUNDAY'])[s.weekday + 1]"
)
LIST_FIELDS = "'id', s.id::text, 'weekday', {weekday}, 'startTime', s.start_time, 'fee', s.fee"
PROFILE_FIELDS = """'id', s.id::text, 'weekday', {weekday}, 'weeksOfMonth', {weeks},
    'startTime', s.start_time, 'endTime', s.end_time, 'fee', s.fee,
    'patientLimit', s.patient_limit, 'clinicName', s.clinic_name,
    'medicalShop', s.medical_shop, 'address', s.address,
    'contactPhone', COALESCE(s.contact_phone, CASE WHEN a.phone_visible THEN a.phone END),
    'bookingOpensDaysBefore', s.booking_opens_days_before,
    'bookingClosesHoursBefore', s.booking_closes_hours_before"""
WEEKS_SQL = """ARRAY(SELECT (CASE w WHEN -1 THEN 'LAST' WHEN 1 THEN 'FIRST' WHEN 2 THEN 'SECOND'
    WHEN 3 THEN 'THIRD' WHEN 4 THEN 'FOURTH' ELSE 'FIFTH' END)
    FROM unnest(s.weeks_of_month) w ORDER BY (w + 7) % 7)"""
REFERENCE_LIST = f"""SELECT json_build_object(
    'id', a.id::text, 'publicId', 'MMD-' || a.public_number, 'name', a.name, 'city', a.city,
    'category', CASE WHEN c.id IS NULL THEN NULL ELSE json_build_object('name', c.name) END,
    'schedules', {SCHEDULES_JSON.format(fields=LIST_FIELDS.format(weekday=WEEKDAY_SQL))})
    FROM accounts a LEFT JOIN categories c ON c.id = a.category_id
    WHERE {PUBLIC} AND a.category_id = ANY($1)
    ORDER BY lower(a.name), a.id LIMIT $2"""
REFERENCE_PROFILE = """SELECT json_build_object(
    'id', a.id::text, 'publicId', 'MMD-' || a.public_number, 'name', a.name,
    'description', a.description, 'categoryLabel', a.category_label,
    'category', CASE WHEN c.id IS NULL THEN NULL
                     ELSE json_build_object('id', c.id::text, 'name', c.name) END,
    'email', CASE WHEN a.email_visible THEN a.email END,
    'phone', CASE WHEN a.phone_visible THEN a.phone END,
    'registrationNumber', CASE WHEN a.registration_number_visible THEN a.registration_number END,
    'address', a.address, 'city', a.city, 'timeZone', a.time_zone,
    'profilePictureUrl', a.profile_picture_url,
    'schedules', {schedules})
    FROM accounts a LEFT JOIN categories c ON c.id = a.category_id
    WHERE a.public_number = $1 AND {public}""".format(
    schedules=SCHEDULES_JSON.format(
        fields=PROFILE_FIELDS.format(weekday=WEEKDAY_SQL, weeks=WEEKS_SQL)
    ),
    public=PUBLIC,
)


async def reference_doctors(db: asyncpg.Connection, v: dict[str, Any]) -> Answer:
    ids = [int(raw) for raw in (v.get("filter") or {}).get("categoryIds") or []]
    rows = await db.fetch(REFERENCE_LIST, ids, int(v.get("first") or 20))
    edges = [{"node": orjson.Fragment(row[0])} for row in rows]
    return {"doctors": {"edges": edges}}, 1


async def reference_profile(db: asyncpg.Connection, v: dict[str, Any]) -> Answer:
    number = int(str(v["publicId"]).upper().removeprefix("MMD-"))
    found = await db.fetchval(REFERENCE_PROFILE, number)
    return {"doctor": None if found is None else orjson.Fragment(found)}, 1


Handler = Callable[..., Awaitable[Answer]]
PUBLIC_ROUTES: dict[str, Handler] = {
    "SearchDoctors": search_doctors,
    "DoctorPage": doctor_page,
    "FindSessions": find_sessions,
    "ReferenceDoctors50": reference_doctors,
    "ReferenceProfile": reference_profile,
}
SIGNED_IN_ROUTES: dict[str, Handler] = {
    "MyCalendar": my_calendar,
    "SessionAppointments": session_appointments,
}


def asyncpg_dsn(url: str) -> tuple[str, dict[str, str]]:
    """asyncpg.connect arguments for a SQLAlchemy URL (an embedded server's socket is host=)."""
    parsed = make_url(url)
    host = parsed.query.get("host")
    kwargs = {"host": host} if isinstance(host, str) else {}
    return parsed.set(drivername="postgresql", query={}).render_as_string(False), kwargs


async def _pg_json(connection: asyncpg.Connection) -> None:
    # Hand json values over as raw text: they go straight into the answer (orjson.Fragment).
    await connection.set_type_codec("json", encoder=str, decoder=str, schema="pg_catalog")


class Floor:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None

    async def _startup(self) -> None:
        dsn, kwargs = asyncpg_dsn(os.environ["DATABASE_URL"])
        size = int(os.environ.get("DB_POOL_SIZE", "10"))
        self.pool = await asyncpg.create_pool(
            dsn, min_size=size, max_size=size, init=_pg_json, **kwargs
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self._startup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self.pool is not None:
                        await self.pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        name = scope["path"].rsplit("/", 1)[-1]
        statements = 0
        if name == "Typename":
            data: Any = {"__typename": "Query"}
        else:
            variables = orjson.loads(body) if body else {}
            assert self.pool is not None
            async with self.pool.acquire() as db:
                if name in SIGNED_IN_ROUTES:
                    headers = dict(scope["headers"])
                    data, statements = await SIGNED_IN_ROUTES[name](db, variables, headers)
                else:
                    data, statements = await PUBLIC_ROUTES[name](db, variables)
        payload = orjson.dumps({"data": data})
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-bench-statements", str(statements).encode()),
                    (WORKER_HEADER, worker_id()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


app = Floor()
