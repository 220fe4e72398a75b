"""Bookable-session candidates chosen in SQL, each confirmed by the calendar rules in Python."""

# PostgreSQL only narrows: it lays each schedule's pattern over the dates and drops
# dates that cannot be OPEN (on vacation, no seat left, outside a widened booking
# window). Every survivor is then built by the calendar's `occurrence` from the seats
# the same statement read, so the calendar code still decides every status, instant
# and order. The window is compared without time zones: an instant is its wall time
# minus an offset between -15 and +15 hours (real ones span -12 to +14), so widening
# by 15 hours keeps every OPEN session whatever either side's time-zone data says.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import groupby
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Date, DateTime, Integer, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ScheduleRecord
from resolvers.catalogue.records import ScheduleRow
from resolvers.platform.calendar import (
    Occurrence,
    SessionStatus,
    VacationSpan,
    local_instant,
    occurrence,
    rules_of,
    today_in,
)

# How many candidate dates per doctor the next-session statement returns: the first
# is OPEN unless the widened window let in a closed or not-yet-open one at either end.
CANDIDATE_DATES = 3

_SCHEDULE = """s.id, s.doctor_id, s.weekday, s.weeks_of_month, s.start_time, s.end_time,
    s.booking_opens_days_before, s.booking_closes_hours_before, s.fee, s.patient_limit,
    s.consult_minutes, s.clinic_name, s.medical_shop, s.address, s.contact_phone, s.is_active"""

# The dates (d.day) from {first} to {last} (at most 62 days) on which the schedule (s)
# runs in the week, up to the last date whose booking can have opened at now_utc (UTC
# wall time): opening, local midnight `opens` days before, comes at the latest 15 hours
# after that midnight in UTC. 0 = Monday; isodow counts from 1. Constant series bounds
# let the planner count the rows; OFFSET 0 computes each date once, not per use.
_DATES = """CROSS JOIN LATERAL (
    SELECT {first} + first_step + 7 * week AS day
    FROM (SELECT (s.weekday - extract(isodow FROM {first})::int + 8) % 7 AS first_step) f,
        generate_series(0, 8) AS week
    WHERE first_step + 7 * week <= least(
        {last}, CAST(now_utc + interval '15 hours' AS date) + s.booking_opens_days_before
    ) - {first}
    OFFSET 0
) d"""

# A schedule on one of those dates that can be OPEN at now_utc. Weeks: the n-th of its
# weekday in the month, or LAST when a week later is another month. Booking not yet
# closed, with 15 hours of slack. A seat left. No vacation of the schedule on the date.
_CAN_BE_OPEN = """
    (cardinality(s.weeks_of_month) = 0
     OR (extract(day FROM d.day)::int - 1) / 7 + 1 = ANY (s.weeks_of_month)
     OR (-1 = ANY (s.weeks_of_month)
         AND extract(month FROM d.day + 7) <> extract(month FROM d.day)))
    AND now_utc < d.day + s.start_time
        - s.booking_closes_hours_before * interval '1 hour' + interval '15 hours'
    AND (s.patient_limit IS NULL OR coalesce(seats.booked_count, 0) < s.patient_limit)
    AND NOT EXISTS (
        SELECT FROM vacation_schedules vs JOIN vacations v ON v.id = vs.vacation_id
        WHERE vs.schedule_id = s.id AND v.start_date <= d.day AND v.end_date >= d.day)"""

# Looked up per candidate, a primary-key probe each (OFFSET 0 keeps it a subquery):
# joined, the planner may hash the whole table for a few hundred candidates.
_SEATS = """LEFT JOIN LATERAL (
    SELECT booked_count FROM session_seats
    WHERE schedule_id = s.id AND session_date = d.day OFFSET 0
) seats ON true"""

# Each doctor's candidates on their first :dates candidate dates from their own today
# (first_day, computed in Python from their zone) up to :days days later.
_NEXT_CANDIDATES = text(f"""
SELECT * FROM (
    SELECT {_SCHEDULE}, d.day, coalesce(seats.booked_count, 0) AS booked,
        dense_rank() OVER (PARTITION BY s.doctor_id ORDER BY d.day) AS day_rank
    FROM unnest(:doctor_ids, :first_days, :nows) AS asked (doctor_id, first_day, now_utc)
    JOIN schedules s ON s.doctor_id = asked.doctor_id AND s.is_active
    {_DATES.format(first="asked.first_day", last="asked.first_day + :days")}
    {_SEATS}
    WHERE {_CAN_BE_OPEN}
) found
WHERE day_rank <= :dates
ORDER BY doctor_id, day, id
""").bindparams(
    bindparam("doctor_ids", type_=ARRAY(BigInteger)),
    bindparam("first_days", type_=ARRAY(Date)),
    bindparam("nows", type_=ARRAY(DateTime())),
    bindparam("days", type_=Integer),
    bindparam("dates", type_=Integer),
)

# Every candidate of the public doctors' active schedules in [:first_day, :last_day],
# with the doctor's zone: FindSessions with only bookable sessions.
_FIND_CANDIDATES = text(f"""
SELECT {_SCHEDULE}, d.day, coalesce(seats.booked_count, 0) AS booked, a.time_zone
FROM (SELECT CAST(:now_utc AS timestamp) AS now_utc) clock
JOIN accounts a ON a.role = 'DOCTOR' AND a.status = 'ACTIVE'
    AND (cardinality(CAST(:category_ids AS bigint[])) = 0
         OR a.category_id = ANY (CAST(:category_ids AS bigint[])))
    AND (CAST(:city AS text) IS NULL OR lower(a.city) = CAST(:city AS text))
CROSS JOIN LATERAL (
    SELECT * FROM schedules WHERE doctor_id = a.id AND is_active OFFSET 0
) s
{_DATES.format(first="CAST(:first_day AS date)", last="CAST(:last_day AS date)")}
{_SEATS}
WHERE {_CAN_BE_OPEN}
""").bindparams(
    bindparam("first_day", type_=Date),
    bindparam("last_day", type_=Date),
    bindparam("now_utc", type_=DateTime()),
    bindparam("category_ids", type_=ARRAY(BigInteger)),
    bindparam("city", type_=String),
)

_SCHEDULE_FIELDS = len(ScheduleRow._fields)


def _utc_wall(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(tzinfo=None)


def occurrence_on(
    schedule: ScheduleRecord,
    day: date,
    *,
    zone: ZoneInfo,
    vacations: Sequence[VacationSpan],
    booked: int,
    now: datetime,
) -> Occurrence:
    return occurrence(
        schedule_id=schedule.id,
        day=day,
        start=schedule.start_time,
        end=schedule.end_time,
        zone=zone,
        rules=rules_of(schedule),
        vacations=vacations,
        booked=booked,
        now=now,
    )


def _confirm(
    schedule: ScheduleRecord, day: date, booked: int, zone: ZoneInfo, now: datetime
) -> Occurrence:
    # The statement dropped every date a vacation of the schedule covers: none blocks it.
    return occurrence_on(schedule, day, zone=zone, vacations=(), booked=booked, now=now)


@dataclass(frozen=True, slots=True)
class NextAsk:
    """One doctor whose next OPEN session is wanted, and the instant it is wanted at."""

    doctor_id: int
    time_zone: str
    now: datetime


class Found(NamedTuple):
    """An OPEN session and its schedule (the answer's ``schedule`` field shows it)."""

    occurrence: Occurrence
    schedule: ScheduleRecord


@dataclass(frozen=True, slots=True)
class NextAnswers:
    """Per ask, in ask order, its next OPEN session or None; ``undecided`` asks' None means
    their candidates ran out on the last date returned, and only the full walk knows."""

    found: list[Found | None]
    undecided: list[int]


async def next_open_candidates(
    session: AsyncSession, asks: Sequence[NextAsk], *, days: int, dates: int = CANDIDATE_DATES
) -> NextAnswers:
    """Each ask's first OPEN session from today to ``days`` days later (one statement)."""
    zones = [ZoneInfo(ask.time_zone) for ask in asks]
    firsts = [today_in(zone, ask.now) for zone, ask in zip(zones, asks, strict=True)]
    rows = (
        await session.execute(
            _NEXT_CANDIDATES,
            {
                "doctor_ids": [ask.doctor_id for ask in asks],
                "first_days": firsts,
                "nows": [_utc_wall(ask.now) for ask in asks],
                "days": days,
                "dates": dates,
            },
        )
    ).all()
    by_doctor: dict[int, list[Any]] = {}
    for row in rows:
        by_doctor.setdefault(row[1], []).append(row)
    answers = NextAnswers(found=[], undecided=[])
    for index, (ask, zone) in enumerate(zip(asks, zones, strict=True)):
        found, decided = _first_open(by_doctor.get(ask.doctor_id, []), zone, ask.now, dates)
        answers.found.append(found)
        if not decided:
            answers.undecided.append(index)
    return answers


def _first_open(
    rows: list[Any], zone: ZoneInfo, now: datetime, dates: int
) -> tuple[Found | None, bool]:
    # Sessions never cross midnight, so a later local date always starts later: the
    # first date with an OPEN session holds the earliest one, and all its candidates
    # are here (a date is returned whole).
    seen = 0
    for day, group in groupby(rows, key=lambda row: row[_SCHEDULE_FIELDS]):
        seen += 1
        found = []
        for row in group:
            schedule = ScheduleRow._make(row[:_SCHEDULE_FIELDS])
            item = _confirm(schedule, day, row[_SCHEDULE_FIELDS + 1], zone, now)
            if item.status is SessionStatus.OPEN:
                found.append(Found(item, schedule))
        if found:
            return min(found, key=lambda pair: pair.occurrence.sort_key), True
    # Fewer dates than asked for: the statement saw every candidate, and none is OPEN.
    return None, seen < dates


@dataclass(frozen=True, slots=True)
class BookablePage:
    """The first ``wanted`` OPEN sessions in start order, whether more follow, and how many."""

    found: list[Found]
    more: bool
    total: int | None


async def bookable_sessions(
    session: AsyncSession,
    *,
    start: date,
    end: date,
    category_ids: Sequence[int],
    city: str | None,
    now: datetime,
    wanted: int,
    count: bool,
) -> BookablePage:
    """OPEN sessions of public doctors in [start, end], by start time (one statement).

    Candidates are sorted by the calendar's own start instants, then confirmed in that
    order until ``wanted`` + 1 are OPEN, or every one when ``count`` asks for the total.
    """
    rows = (
        await session.execute(
            _FIND_CANDIDATES,
            {
                "first_day": start,
                "last_day": end,
                "now_utc": _utc_wall(now),
                "category_ids": list(category_ids),
                "city": city.strip().lower() if city and city.strip() else None,
            },
        )
    ).all()
    zones: dict[str, ZoneInfo] = {}
    keyed = []
    for row in rows:
        name = row[_SCHEDULE_FIELDS + 2]
        zone = zones.get(name) or zones.setdefault(name, ZoneInfo(name))
        day, start_time, schedule_id = row[_SCHEDULE_FIELDS], row[4], row[0]
        keyed.append(((local_instant(day, start_time, zone), schedule_id), zone, row))
    keyed.sort(key=lambda item: item[0])
    found: list[Found] = []
    total = 0
    for _, zone, row in keyed:
        schedule = ScheduleRow._make(row[:_SCHEDULE_FIELDS])
        item = _confirm(schedule, row[_SCHEDULE_FIELDS], row[_SCHEDULE_FIELDS + 1], zone, now)
        if item.status is not SessionStatus.OPEN:
            continue
        total += 1
        if len(found) <= wanted:
            found.append(Found(item, schedule))
        elif not count:
            break
    more = len(found) > wanted
    return BookablePage(found=found[:wanted], more=more, total=total if count else None)
