"""Pure calendar rules: weeks of the month, occurrences, booking windows, status, conflicts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from db.enums import LAST_WEEK
from db.models import Account, ScheduleRecord
from resolvers.platform.errors import BadUserInput

MAX_RANGE_DAYS = 62
# Every date a request gives (session ranges, booking dates, vacations) lies in this
# window around today: last year's calendar stays readable, and plans may reach five
# years ahead. Beyond it nothing real happens, and near year 1 or 9999 date arithmetic
# (opening days before, the next day) would leave Python's calendar.
WINDOW_YEARS_BACK = 1
WINDOW_YEARS_AHEAD = 5
# Schedules' times are wall-clock times in the doctor's zone: an offset means nothing there.
OFFSET_REFUSED = (
    "Give the time without an offset, e.g. 18:30: sessions run in the doctor's time zone."
)
# An open-ended session occupies this long from its start when testing conflicts.
OPEN_ENDED_MINUTES = 60

# The weeks-of-month labels one date can carry, over every possible month: the
# 1st-3rd occurrences are never the last; a 4th is the last in a month with four
# of that weekday and not in one with five; a 5th is always the last.
_POSSIBLE_LABELS: tuple[frozenset[int], ...] = (
    frozenset({1}),
    frozenset({2}),
    frozenset({3}),
    frozenset({4}),
    frozenset({4, LAST_WEEK}),
    frozenset({5, LAST_WEEK}),
)


class SessionStatus(StrEnum):
    NOT_YET_OPEN = "NOT_YET_OPEN"
    OPEN = "OPEN"
    FULL = "FULL"
    CLOSED = "CLOSED"
    ON_VACATION = "ON_VACATION"


def week_order(week: int) -> int:
    """Sort key for weeks: FIRST..FIFTH, then LAST."""
    return 6 if week == LAST_WEEK else week


def week_labels(day: date) -> frozenset[int]:
    """The weeks of the month ``day`` belongs to: its occurrence number, and LAST if it is."""
    labels = {(day.day - 1) // 7 + 1}
    if (day + timedelta(days=7)).month != day.month:
        labels.add(LAST_WEEK)
    return frozenset(labels)


def today_in(zone: ZoneInfo, now: datetime) -> date:
    """The date on the doctor's wall calendar at ``now``."""
    return now.astimezone(zone).date()


@dataclass(frozen=True, slots=True)
class DateWindow:
    """The dates a request may name, inclusive at both ends."""

    first: date
    last: date

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def message(self) -> str:
        return (
            f"Dates must lie between {self.first.isoformat()} and {self.last.isoformat()}"
            f" ({WINDOW_YEARS_BACK} year before today to {WINDOW_YEARS_AHEAD} years after)."
        )


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28)


def date_window(now: datetime) -> DateWindow:
    """The window around today (UTC; a day either way matters nothing at this size)."""
    today = now.astimezone(UTC).date()
    return DateWindow(
        first=_years_later(today, -WINDOW_YEARS_BACK), last=_years_later(today, WINDOW_YEARS_AHEAD)
    )


def outside_window(*days: date, now: datetime) -> str | None:
    """The window's message when some day lies outside it, else None (for field problems)."""
    window = date_window(now)
    return None if all(window.holds(day) for day in days) else window.message


def check_window(*days: date, now: datetime) -> None:
    """Dates a query names must lie in the window (BadUserInput otherwise)."""
    message = outside_window(*days, now=now)
    if message is not None:
        raise BadUserInput(message)


def check_range(start: date, end: date, *, now: datetime, max_days: int = MAX_RANGE_DAYS) -> None:
    """A date range a query may ask for: in the window, and a span check_span accepts."""
    check_window(start, end, now=now)
    check_span(start, end, max_days=max_days)


def check_span(start: date, end: date, *, max_days: int = MAX_RANGE_DAYS) -> None:
    """``end`` not before ``start``, and at most max_days days from one to the other."""
    if end < start:
        raise BadUserInput("to must not be before from")
    if (end - start).days + 1 > max_days:
        raise BadUserInput(f"a date range may span at most {max_days} days")


@dataclass(frozen=True, slots=True)
class WeeklyPattern:
    """One weekday (0 = Monday) in some weeks of the month; no weeks means every week."""

    weekday: int
    weeks: frozenset[int] = frozenset()

    def falls_on(self, day: date) -> bool:
        return day.weekday() == self.weekday and _hits(self.weeks, week_labels(day))

    def dates(self, start: date, end: date) -> list[date]:
        """Every date in [start, end] (inclusive) the pattern falls on, in order."""
        day = start + timedelta(days=(self.weekday - start.weekday()) % 7)
        found = []
        while day <= end:
            if _hits(self.weeks, week_labels(day)):
                found.append(day)
            day += timedelta(days=7)
        return found

    def can_coincide(self, other: WeeklyPattern) -> bool:
        """Whether some date of some month belongs to both patterns."""
        return self.weekday == other.weekday and any(
            _hits(self.weeks, labels) and _hits(other.weeks, labels) for labels in _POSSIBLE_LABELS
        )

    def colliding_weeks(self, other: WeeklyPattern) -> list[int | None]:
        """The weeks on which this pattern can meet ``other``, named by this pattern's weeks.

        An every-week pattern names the other pattern's weeks instead (those are
        the weeks where they meet); two every-week patterns meet every week: None.
        """
        if not self.can_coincide(other):
            return []
        if not self.weeks:
            theirs = sorted(other.weeks, key=week_order)
            return [*theirs] if theirs else [None]
        return [
            week
            for week in sorted(self.weeks, key=week_order)
            if WeeklyPattern(self.weekday, frozenset({week})).can_coincide(other)
        ]


def _hits(weeks: frozenset[int], labels: frozenset[int]) -> bool:
    return not weeks or not weeks.isdisjoint(labels)


@dataclass(frozen=True, slots=True)
class Slot:
    """A schedule as far as conflicts go: when in the month, and when in the day."""

    pattern: WeeklyPattern
    start: time
    end: time | None

    def _minutes(self) -> tuple[int, int]:
        begin = self.start.hour * 60 + self.start.minute
        if self.end is None:
            return begin, begin + OPEN_ENDED_MINUTES
        return begin, self.end.hour * 60 + self.end.minute

    def overlaps_in_time(self, other: Slot) -> bool:
        mine, theirs = self._minutes(), other._minutes()
        return mine[0] < theirs[1] and theirs[0] < mine[1]

    def colliding_weeks(self, other: Slot) -> list[int | None]:
        """Where this slot collides with ``other`` (empty when it never does)."""
        if not self.overlaps_in_time(other):
            return []
        return self.pattern.colliding_weeks(other.pattern)


@dataclass(frozen=True, slots=True)
class Conflict:
    weekday: int
    week: int | None
    existing_id: int


def find_conflicts(candidate: Slot, existing: Iterable[tuple[int, Slot]]) -> list[Conflict]:
    """Every (weekday, week) of ``candidate`` that collides with one of the existing slots."""
    return [
        Conflict(weekday=candidate.pattern.weekday, week=week, existing_id=existing_id)
        for existing_id, slot in existing
        for week in candidate.colliding_weeks(slot)
    ]


@dataclass(frozen=True, slots=True)
class BookingRules:
    opens_days_before: int
    closes_hours_before: int
    capacity: int | None


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """Instants in UTC, so comparing and subtracting them is exact across DST changes.

    (Python compares and subtracts datetimes that share a tzinfo by wall clock.)
    """

    zone: ZoneInfo
    starts_at: datetime
    ends_at: datetime | None
    opens_at: datetime
    closes_at: datetime

    def local(self, instant: datetime) -> datetime:
        """An instant as the doctor's wall clock shows it, with its offset: for presenting."""
        return instant.astimezone(self.zone)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (in UTC) of wall time (day, at) in ``zone``.

    A wall time skipped by a DST change is read with the offset before the change
    (Python's fold=0) and comes out normalised, e.g. 02:30 on a spring-forward
    day in New York is 03:30 EDT.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def session_times(
    day: date, start: time, end: time | None, zone: ZoneInfo, rules: BookingRules
) -> SessionTimes:
    """When a session on ``day`` runs, and when its booking window opens and closes.

    Opening is midnight (local) ``opens_days_before`` days before; closing is
    ``closes_hours_before`` elapsed hours before the start, so a DST change in
    between moves the local clock time of closing, not its distance to the start.
    """
    starts_at = local_instant(day, start, zone)
    return SessionTimes(
        zone=zone,
        starts_at=starts_at,
        ends_at=None if end is None else local_instant(day, end, zone),
        opens_at=local_instant(day - timedelta(days=rules.opens_days_before), time(0), zone),
        closes_at=starts_at - timedelta(hours=rules.closes_hours_before),
    )


def session_status(
    times: SessionTimes,
    *,
    now: datetime,
    on_vacation: bool,
    capacity: int | None,
    booked: int,
) -> SessionStatus:
    """A vacation wins, then the window ([opens, closes)), then the seats."""
    if on_vacation:
        return SessionStatus.ON_VACATION
    if now >= times.closes_at:
        return SessionStatus.CLOSED
    if now < times.opens_at:
        return SessionStatus.NOT_YET_OPEN
    if capacity is not None and booked >= capacity:
        return SessionStatus.FULL
    return SessionStatus.OPEN


def window_is_possible(*, start: time, opens_days_before: int, closes_hours_before: int) -> bool:
    """Whether booking can ever be open: closing must come after opening (ignoring DST)."""
    minutes_open = opens_days_before * 24 * 60 + start.hour * 60 + start.minute
    return minutes_open - closes_hours_before * 60 > 0


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One schedule on one date, with everything a patient needs to decide to book."""

    schedule_id: int
    day: date
    times: SessionTimes
    capacity: int | None
    booked_count: int
    status: SessionStatus
    vacation_until: date | None = None

    @property
    def remaining(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.booked_count)

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return self.times.starts_at, self.schedule_id


@dataclass(frozen=True, slots=True)
class VacationSpan:
    """A vacation's inclusive date range, as it blocks one schedule."""

    vacation_id: int
    start: date
    end: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def occurrence(
    *,
    schedule_id: int,
    day: date,
    start: time,
    end: time | None,
    zone: ZoneInfo,
    rules: BookingRules,
    vacations: Iterable[VacationSpan],
    booked: int,
    now: datetime,
) -> Occurrence:
    """The full occurrence of one schedule on ``day`` (which the caller knows it falls on)."""
    times = session_times(day, start, end, zone, rules)
    blocking = [span for span in vacations if span.covers(day)]
    return Occurrence(
        schedule_id=schedule_id,
        day=day,
        times=times,
        capacity=rules.capacity,
        booked_count=booked,
        status=session_status(
            times, now=now, on_vacation=bool(blocking), capacity=rules.capacity, booked=booked
        ),
        vacation_until=max((span.end for span in blocking), default=None),
    )


# A stored schedule and its doctor, as the rules above see them.


def zone_of(doctor: Account) -> ZoneInfo:
    return ZoneInfo(doctor.time_zone)


def pattern_of(schedule: ScheduleRecord) -> WeeklyPattern:
    return WeeklyPattern(schedule.weekday, frozenset(schedule.weeks_of_month))


def slot_of(schedule: ScheduleRecord) -> Slot:
    return Slot(pattern_of(schedule), schedule.start_time, schedule.end_time)


def rules_of(schedule: ScheduleRecord) -> BookingRules:
    return BookingRules(
        opens_days_before=schedule.booking_opens_days_before,
        closes_hours_before=schedule.booking_closes_hours_before,
        capacity=schedule.patient_limit,
    )
