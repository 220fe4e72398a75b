"""The pure calendar rules: weeks of the month, occurrences, windows, status and conflicts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.enums import LAST_WEEK
from resolvers.platform.calendar import (
    BookingRules,
    SessionStatus,
    Slot,
    VacationSpan,
    WeeklyPattern,
    check_range,
    check_span,
    date_window,
    find_conflicts,
    occurrence,
    session_status,
    session_times,
    week_labels,
    window_is_possible,
)
from resolvers.platform.errors import BadUserInput

SATURDAY = 5
SUNDAY = 6
THURSDAY = 3
KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
SECOND, FOURTH, FIFTH = 2, 4, 5


def pattern(weekday: int, *weeks: int) -> WeeklyPattern:
    return WeeklyPattern(weekday, frozenset(weeks))


# Weeks of the month


def test_a_date_is_the_nth_occurrence_of_its_weekday() -> None:
    # given January 2027, which has five Saturdays: 2, 9, 16, 23, 30
    # then
    assert week_labels(date(2027, 1, 2)) == {1}
    assert week_labels(date(2027, 1, 23)) == {4}
    assert week_labels(date(2027, 1, 30)) == {5, LAST_WEEK}


def test_the_fourth_occurrence_is_the_last_in_a_month_with_four() -> None:
    # given December 2026, which has four Saturdays: 5, 12, 19, 26
    # then
    assert week_labels(date(2026, 12, 26)) == {4, LAST_WEEK}
    assert week_labels(date(2026, 12, 19)) == {3}


def test_second_and_fourth_saturdays_across_a_month_with_five() -> None:
    # given
    second_and_fourth = pattern(SATURDAY, SECOND, FOURTH)
    # when
    dates = second_and_fourth.dates(date(2026, 12, 1), date(2027, 1, 31))
    # then
    assert dates == [date(2026, 12, 12), date(2026, 12, 26), date(2027, 1, 9), date(2027, 1, 23)]


def test_last_saturday_is_the_fourth_or_the_fifth() -> None:
    # when
    dates = pattern(SATURDAY, LAST_WEEK).dates(date(2026, 12, 1), date(2027, 1, 31))
    # then
    assert dates == [date(2026, 12, 26), date(2027, 1, 30)]


def test_fifth_saturday_exists_only_in_months_with_five() -> None:
    # when
    dates = pattern(SATURDAY, FIFTH).dates(date(2026, 12, 1), date(2027, 1, 31))
    # then
    assert dates == [date(2027, 1, 30)]


def test_no_weeks_means_every_week() -> None:
    # when
    dates = pattern(THURSDAY).dates(date(2026, 12, 1), date(2026, 12, 17))
    # then
    assert dates == [date(2026, 12, 3), date(2026, 12, 10), date(2026, 12, 17)]


def test_range_edges_are_inclusive() -> None:
    # given
    every_thursday = pattern(THURSDAY)
    # then
    assert every_thursday.dates(date(2026, 12, 3), date(2026, 12, 3)) == [date(2026, 12, 3)]
    assert every_thursday.dates(date(2026, 12, 4), date(2026, 12, 9)) == []
    assert every_thursday.falls_on(date(2026, 12, 3))
    assert not every_thursday.falls_on(date(2026, 12, 4))


# Which patterns can fall on the same date


@pytest.mark.parametrize(
    ("mine", "theirs", "coincide"),
    [
        ((FIFTH,), (LAST_WEEK,), True),  # the 5th is always the last
        ((FOURTH,), (LAST_WEEK,), True),  # in a month with only four
        ((3,), (LAST_WEEK,), False),  # the 3rd is never the last
        ((FOURTH,), (FIFTH,), False),
        ((1, SECOND), (3,), False),
        ((SECOND,), (SECOND, FOURTH), True),
        ((), (3,), True),  # every week meets anything
        ((), (), True),
    ],
)
def test_patterns_coincide_when_some_month_has_a_date_in_both(
    mine: tuple[int, ...], theirs: tuple[int, ...], coincide: bool
) -> None:
    # then
    assert pattern(SATURDAY, *mine).can_coincide(pattern(SATURDAY, *theirs)) is coincide
    assert pattern(SATURDAY, *theirs).can_coincide(pattern(SATURDAY, *mine)) is coincide


def test_different_weekdays_never_coincide() -> None:
    # then
    assert not pattern(SATURDAY).can_coincide(pattern(SUNDAY))


def test_colliding_weeks_are_named_by_the_new_patterns_weeks() -> None:
    # given
    new = pattern(SATURDAY, 1, FOURTH, FIFTH)
    # then
    assert new.colliding_weeks(pattern(SATURDAY, LAST_WEEK)) == [FOURTH, FIFTH]
    assert pattern(SATURDAY, LAST_WEEK).colliding_weeks(pattern(SATURDAY, FIFTH)) == [LAST_WEEK]


def test_an_every_week_pattern_names_the_weeks_of_the_one_it_meets() -> None:
    # then
    assert pattern(SATURDAY).colliding_weeks(pattern(SATURDAY, LAST_WEEK, SECOND)) == [
        SECOND,
        LAST_WEEK,
    ]
    assert pattern(SATURDAY).colliding_weeks(pattern(SATURDAY)) == [None]


# Time overlap


def slot(start: time, end: time | None, *weeks: int) -> Slot:
    return Slot(pattern(SATURDAY, *weeks), start, end)


def test_touching_time_ranges_do_not_overlap() -> None:
    # then
    assert not slot(time(18), time(20)).overlaps_in_time(slot(time(20), time(21)))
    assert slot(time(18), time(20)).overlaps_in_time(slot(time(19, 59), time(21)))


def test_an_open_ended_schedule_occupies_one_hour() -> None:
    # given
    open_ended = slot(time(18), None)
    # then
    assert open_ended.overlaps_in_time(slot(time(18, 59), time(20)))
    assert not open_ended.overlaps_in_time(slot(time(19), time(20)))
    assert not slot(time(17), time(18)).overlaps_in_time(open_ended)


def test_conflicts_need_both_a_shared_date_and_overlapping_times() -> None:
    # given
    existing = [
        (1, slot(time(18), time(20), LAST_WEEK)),
        (2, slot(time(10), time(12))),  # every week but in the morning
        (3, slot(time(19), time(21), 1)),  # evening, first week only
    ]
    # when
    conflicts = find_conflicts(slot(time(19), time(20), FIFTH, 3), existing)
    # then
    assert [(c.week, c.existing_id) for c in conflicts] == [(FIFTH, 1)]
    assert conflicts[0].weekday == SATURDAY


# Booking windows


def test_booking_opens_at_midnight_days_before_and_closes_hours_before_the_start() -> None:
    # given
    rules = BookingRules(opens_days_before=7, closes_hours_before=2, capacity=10)
    # when
    times = session_times(date(2026, 12, 3), time(18), time(20), KOLKATA, rules)
    # then
    assert times.local(times.starts_at).isoformat() == "2026-12-03T18:00:00+05:30"
    assert times.ends_at is not None
    assert times.local(times.ends_at).isoformat() == "2026-12-03T20:00:00+05:30"
    assert times.local(times.opens_at).isoformat() == "2026-11-26T00:00:00+05:30"
    assert times.local(times.closes_at).isoformat() == "2026-12-03T16:00:00+05:30"


def test_closing_hours_before_cross_midnight_into_the_previous_day() -> None:
    # given
    rules = BookingRules(opens_days_before=3, closes_hours_before=12, capacity=None)
    # when
    times = session_times(date(2026, 12, 3), time(9), None, KOLKATA, rules)
    # then
    assert times.local(times.closes_at).isoformat() == "2026-12-02T21:00:00+05:30"
    assert times.ends_at is None


def test_closing_counts_elapsed_hours_across_a_dst_change() -> None:
    # given New York springs forward at 02:00 on Sunday 2027-03-14
    rules = BookingRules(opens_days_before=1, closes_hours_before=12, capacity=None)
    # when
    times = session_times(date(2027, 3, 14), time(10), time(12), NEW_YORK, rules)
    # then twelve real hours before 10:00 EDT is 21:00 EST, not the wall-clock 22:00
    assert times.local(times.starts_at).isoformat() == "2027-03-14T10:00:00-04:00"
    assert times.local(times.closes_at).isoformat() == "2027-03-13T21:00:00-05:00"
    assert times.local(times.opens_at).isoformat() == "2027-03-13T00:00:00-05:00"
    assert times.starts_at - times.closes_at == timedelta(hours=12)


def test_a_start_inside_the_dst_gap_is_moved_forward() -> None:
    # given
    rules = BookingRules(opens_days_before=1, closes_hours_before=0, capacity=None)
    # when
    times = session_times(date(2027, 3, 14), time(2, 30), None, NEW_YORK, rules)
    # then
    assert times.local(times.starts_at).isoformat() == "2027-03-14T03:30:00-04:00"


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (datetime(2026, 11, 25, 18, 29, 59, tzinfo=UTC), SessionStatus.NOT_YET_OPEN),
        (datetime(2026, 11, 25, 18, 30, 0, tzinfo=UTC), SessionStatus.OPEN),  # 00:00 IST
        (datetime(2026, 12, 3, 10, 29, 59, tzinfo=UTC), SessionStatus.OPEN),
        (datetime(2026, 12, 3, 10, 30, 0, tzinfo=UTC), SessionStatus.CLOSED),  # 16:00 IST
    ],
)
def test_the_window_is_open_from_opening_until_just_before_closing(
    now: datetime, status: SessionStatus
) -> None:
    # given
    rules = BookingRules(opens_days_before=7, closes_hours_before=2, capacity=10)
    times = session_times(date(2026, 12, 3), time(18), time(20), KOLKATA, rules)
    # then
    assert session_status(times, now=now, on_vacation=False, capacity=10, booked=3) is status


def test_full_vacation_and_unlimited_sessions() -> None:
    # given
    rules = BookingRules(opens_days_before=7, closes_hours_before=2, capacity=10)
    times = session_times(date(2026, 12, 3), time(18), time(20), KOLKATA, rules)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    # then
    assert session_status(times, now=now, on_vacation=False, capacity=10, booked=10) is (
        SessionStatus.FULL
    )
    assert session_status(times, now=now, on_vacation=False, capacity=None, booked=500) is (
        SessionStatus.OPEN
    )
    assert session_status(times, now=now, on_vacation=True, capacity=10, booked=0) is (
        SessionStatus.ON_VACATION
    )


def test_an_occurrence_reports_remaining_seats_and_the_vacation_end() -> None:
    # given
    rules = BookingRules(opens_days_before=7, closes_hours_before=2, capacity=10)
    # when
    common = {
        "schedule_id": 7,
        "start": time(18),
        "end": None,
        "zone": KOLKATA,
        "rules": rules,
        "vacations": [VacationSpan(1, date(2026, 12, 2), date(2026, 12, 4))],
        "booked": 12,
        "now": datetime(2026, 12, 1, tzinfo=UTC),
    }
    blocked = occurrence(day=date(2026, 12, 3), **common)  # type: ignore[arg-type]
    free = occurrence(day=date(2026, 12, 5), **common)  # type: ignore[arg-type]
    # then
    assert blocked.status is SessionStatus.ON_VACATION
    assert blocked.vacation_until == date(2026, 12, 4)
    assert free.status is SessionStatus.FULL
    assert free.remaining == 0
    assert free.vacation_until is None


def test_a_window_that_closes_before_it_opens_is_impossible() -> None:
    # then
    assert window_is_possible(start=time(1), opens_days_before=0, closes_hours_before=0)
    assert not window_is_possible(start=time(1), opens_days_before=0, closes_hours_before=1)
    assert window_is_possible(start=time(1), opens_days_before=1, closes_hours_before=24)


# Request ranges


def test_a_range_may_span_62_days_but_not_63() -> None:
    # when
    check_span(date(2026, 12, 1), date(2027, 1, 31))
    # then
    with pytest.raises(BadUserInput):
        check_span(date(2026, 12, 1), date(2027, 2, 1))
    with pytest.raises(BadUserInput):
        check_span(date(2026, 12, 2), date(2026, 12, 1))


def test_the_date_window_runs_from_a_year_back_to_five_years_ahead() -> None:
    # given
    now = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    # when
    window = date_window(now)
    # then
    assert (window.first, window.last) == (date(2025, 12, 1), date(2031, 12, 1))
    assert "2025-12-01" in window.message
    assert "2031-12-01" in window.message


def test_the_window_from_29_february_ends_on_28_february() -> None:
    # when
    window = date_window(datetime(2028, 2, 29, 12, tzinfo=UTC))
    # then
    assert (window.first, window.last) == (date(2027, 2, 28), date(2033, 2, 28))


def test_a_range_must_lie_in_the_date_window() -> None:
    # given
    now = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)
    # when
    check_range(date(2025, 12, 1), date(2025, 12, 31), now=now)
    check_range(date(2031, 11, 1), date(2031, 12, 1), now=now)
    # then
    for start, end in [
        (date(9999, 12, 30), date(9999, 12, 31)),
        (date(1, 1, 1), date(1, 1, 2)),
        (date(2025, 11, 30), date(2025, 12, 1)),
        (date(2031, 12, 1), date(2031, 12, 2)),
    ]:
        with pytest.raises(BadUserInput, match="Dates must lie between 2025-12-01 and 2031-12-01"):
            check_range(start, end, now=now)
