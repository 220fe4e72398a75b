"""Session occurrences: computed from schedules for a date window, never stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Schedule, ScheduleRecord
from resolvers.booking.candidates import Found, bookable_sessions, occurrence_on
from resolvers.booking.loaders import SessionFacts, session_facts
from resolvers.catalogue.doctors import is_public
from resolvers.platform.calendar import (
    Occurrence,
    SessionStatus,
    check_range,
    check_span,
    pattern_of,
    today_in,
    zone_of,
)
from resolvers.platform.pagination import Page, decode_cursor, page_size

if TYPE_CHECKING:
    # The registry gathers every domain's loaders, this one's included.
    from resolvers.loaders import Loaders

# How far ahead "next available session" looks, counting today.
NEXT_AVAILABLE_DAYS = 60


def occurrences_of(
    schedule: ScheduleRecord,
    *,
    zone: ZoneInfo,
    start: date,
    end: date,
    facts: SessionFacts,
    now: datetime,
) -> list[Occurrence]:
    return [
        occurrence_on(
            schedule,
            day,
            zone=zone,
            vacations=facts.vacations,
            booked=facts.booked.get(day, 0),
            now=now,
        )
        for day in pattern_of(schedule).dates(start, end)
    ]


async def load_sessions(
    loaders: Loaders,
    *,
    schedules: Sequence[tuple[ScheduleRecord, ZoneInfo]],
    start: date,
    end: date,
    now: datetime,
) -> list[Occurrence]:
    """Every occurrence of the schedules in [start, end], by start time (one batched read)."""
    windows = [(schedule.id, start, end) for schedule, _ in schedules]
    for schedule, _ in schedules:
        # Each session's `schedule` field then costs no query.
        loaders.schedule_by_id.prime(schedule.id, schedule)
    facts = await loaders.session_facts_by_schedule_window.load_many(windows)
    found = [
        item
        for (schedule, zone), known in zip(schedules, facts, strict=True)
        for item in occurrences_of(schedule, zone=zone, start=start, end=end, facts=known, now=now)
    ]
    return sorted(found, key=lambda item: item.sort_key)


async def doctor_sessions(
    loaders: Loaders, *, doctor_id: int, time_zone: str, start: date, end: date, now: datetime
) -> list[Occurrence]:
    """A doctor's sessions in a range of at most 62 days in the date window (else BadUserInput)."""
    check_range(start, end, now=now)
    zone = ZoneInfo(time_zone)
    schedules = await loaders.schedules_by_doctor_id.load(doctor_id)
    return await load_sessions(
        loaders,
        schedules=[(schedule, zone) for schedule in schedules],
        start=start,
        end=end,
        now=now,
    )


async def next_available_session(
    loaders: Loaders, *, doctor_id: int, time_zone: str, now: datetime
) -> Occurrence | None:
    """The first session, from today up to 60 days ahead, that can be booked right now.

    The full walk over every schedule's calendar, the calendar's own answer: the
    directory asks NextAvailableSessionByDoctorLoader, which starts from SQL's
    candidates and falls back to first_open_session when they run out.
    """
    zone = ZoneInfo(time_zone)
    start = today_in(zone, now)
    end = start + timedelta(days=NEXT_AVAILABLE_DAYS)
    schedules = await loaders.schedules_by_doctor_id.load(doctor_id)
    for schedule in schedules:
        loaders.schedule_by_id.prime(schedule.id, schedule)
    facts = await loaders.session_facts_by_schedule_window.load_many(
        [(schedule.id, start, end) for schedule in schedules]
    )
    return first_open_session(
        list(zip(schedules, facts, strict=True)), zone=zone, start=start, end=end, now=now
    )


def first_open_session(
    schedules: Sequence[tuple[ScheduleRecord, SessionFacts]],
    *,
    zone: ZoneInfo,
    start: date,
    end: date,
    now: datetime,
) -> Occurrence | None:
    """The earliest OPEN occurrence of the schedules in [start, end], walking a day at a time.

    Most doctors have one within days, so a page of doctors builds a few sessions
    each, not 60 days'.
    """
    # Sessions never cross midnight, so a later local date always starts later:
    # the first day with an OPEN session holds the earliest one.
    by_day: dict[date, list[tuple[ScheduleRecord, SessionFacts]]] = {}
    for schedule, known in schedules:
        for day in pattern_of(schedule).dates(start, end):
            by_day.setdefault(day, []).append((schedule, known))
    for day in sorted(by_day):
        found = [
            occurrence_on(
                schedule,
                day,
                zone=zone,
                vacations=known.vacations,
                booked=known.booked.get(day, 0),
                now=now,
            )
            for schedule, known in by_day[day]
        ]
        open_now = [item for item in found if item.status is SessionStatus.OPEN]
        if open_now:
            return min(open_now, key=lambda item: item.sort_key)
    return None


async def session_of(
    loaders: Loaders, *, schedule: ScheduleRecord, time_zone: str, day: date, now: datetime
) -> Occurrence:
    """One occurrence (an appointment's session), batched with its siblings."""
    found = await load_sessions(
        loaders, schedules=[(schedule, ZoneInfo(time_zone))], start=day, end=day, now=now
    )
    if found:
        return found[0]
    # The date is no longer an occurrence (the weeks changed): still describe it.
    return occurrence_on(schedule, day, zone=ZoneInfo(time_zone), vacations=(), booked=0, now=now)


async def current_occurrence(
    session: AsyncSession, *, schedule: ScheduleRecord, zone: ZoneInfo, day: date, now: datetime
) -> Occurrence:
    """One occurrence read inside the caller's transaction (booking), not through loaders."""
    facts = (await session_facts(session, [schedule.id], day, day)).get(schedule.id)
    return occurrence_on(
        schedule,
        day,
        zone=zone,
        vacations=facts.vacations if facts else [],
        booked=facts.booked.get(day, 0) if facts else 0,
        now=now,
    )


async def next_session_after(
    session: AsyncSession, *, schedule: ScheduleRecord, zone: ZoneInfo, day: date, now: datetime
) -> Occurrence | None:
    """The schedule's first session after ``day`` (and not before today) that is not over."""
    start = max(day + timedelta(days=1), today_in(zone, now))
    end = start + timedelta(days=NEXT_AVAILABLE_DAYS)
    facts = await session_facts(session, [schedule.id], start, end)
    candidates = occurrences_of(
        schedule,
        zone=zone,
        start=start,
        end=end,
        facts=facts.get(schedule.id, SessionFacts()),
        now=now,
    )
    over = (SessionStatus.CLOSED, SessionStatus.ON_VACATION)
    return next((item for item in candidates if item.status not in over), None)


@dataclass(frozen=True, slots=True)
class SessionFilter:
    start: date
    end: date
    category_ids: tuple[int, ...] = ()
    city: str | None = None
    only_bookable: bool = False


async def searchable_schedules(
    *, session: AsyncSession, session_filter: SessionFilter
) -> list[tuple[Schedule, Account]]:
    """Active schedules of public doctors matching the filter, with their doctors (one read).

    The range's shape only: find_sessions, which knows the clock, checks the date window.
    """
    check_span(session_filter.start, session_filter.end)
    days = (session_filter.end - session_filter.start).days + 1
    # Counted round the week, not by adding days: no date past 9999-12-31 is ever made.
    first = session_filter.start.weekday()
    weekdays = {(first + n) % 7 for n in range(min(days, 7))}
    query = (
        select(Schedule, Account)
        .join(Account, Account.id == Schedule.doctor_id)
        .where(is_public(), Schedule.is_active, Schedule.weekday.in_(sorted(weekdays)))
    )
    if session_filter.category_ids:
        query = query.where(Account.category_id.in_(session_filter.category_ids))
    if session_filter.city and session_filter.city.strip():
        query = query.where(func.lower(Account.city) == session_filter.city.strip().lower())
    rows = (await session.execute(query.order_by(Schedule.id))).all()
    return [(schedule, doctor) for schedule, doctor in rows]


async def find_sessions(
    loaders: Loaders,
    *,
    schedules: Sequence[tuple[Schedule, Account]],
    session_filter: SessionFilter,
    first: int | None,
    after: str | None,
    now: datetime,
) -> Page[Occurrence]:
    """A page of the sessions of ``schedules`` in the filter's window, by start time.

    Pages are offsets into the ordered list, which is recomputed per request: a
    booking between two pages can move a session out of an only-bookable list.
    """
    check_range(session_filter.start, session_filter.end, now=now)
    limit = page_size(first)
    offset = decode_cursor(after)
    found = await load_sessions(
        loaders,
        schedules=[(schedule, zone_of(doctor)) for schedule, doctor in schedules],
        start=session_filter.start,
        end=session_filter.end,
        now=now,
    )
    if session_filter.only_bookable:
        found = [item for item in found if item.status is SessionStatus.OPEN]
    return Page(
        items=found[offset : offset + limit],
        offset=offset,
        has_next_page=len(found) > offset + limit,
        total_count=len(found),
    )


async def find_bookable_sessions(
    *,
    session: AsyncSession,
    session_filter: SessionFilter,
    first: int | None,
    after: str | None,
    now: datetime,
    count: bool,
) -> Page[Found]:
    """find_sessions with only bookable sessions: the same page, from SQL's candidates.

    ``count`` False leaves total_count a lower bound (offset + the items found + one
    more when a next page exists): for a selection without totalCount.
    """
    check_range(session_filter.start, session_filter.end, now=now)
    limit = page_size(first)
    offset = decode_cursor(after)
    found = await bookable_sessions(
        session,
        start=session_filter.start,
        end=session_filter.end,
        category_ids=session_filter.category_ids,
        city=session_filter.city,
        now=now,
        wanted=offset + limit,
        count=count,
    )
    items = found.found[offset : offset + limit]
    return Page(
        items=items,
        offset=offset,
        has_next_page=found.more,
        total_count=found.total
        if found.total is not None
        else min(offset, len(found.found)) + len(items) + int(found.more),
    )
