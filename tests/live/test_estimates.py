"""Estimates as domain.md defines them: positions, the learned average, the call time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.enums import AppointmentStatus
from resolvers.live.estimates import (
    QueueEntry,
    average_consult_minutes,
    estimated_call_at,
    position,
    waiting_count,
)
from resolvers.platform.calendar import local_instant
from resolvers.platform.clock import FixedClock

B = AppointmentStatus.BOOKED
A = AppointmentStatus.ARRIVED
C = AppointmentStatus.IN_CONSULTATION
D = AppointmentStatus.COMPLETED
N = AppointmentStatus.NO_SHOW
X = AppointmentStatus.CANCELLED_BY_PATIENT


def queue(*statuses: AppointmentStatus) -> list[QueueEntry]:
    return [QueueEntry(number, status) for number, status in enumerate(statuses, start=1)]


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=value) for value in values]


def test_those_ahead_are_the_booked_and_arrived_with_lower_numbers_and_the_one_inside() -> None:
    # given: 1 done, 2 inside, 3 arrived, 4 cancelled, 5 booked, 6 no-show, 7 booked
    session = queue(D, C, A, X, B, N, B)
    # when
    places = [position(entry.status, entry.queue_number, session, ended=False) for entry in session]
    # then
    assert places == [None, 0, 1, None, 2, None, 3]


def test_a_walk_in_with_a_high_number_waits_behind_everyone_booked_before_it() -> None:
    # given: the one inside has a higher number than the waiting patient
    session = queue(B, A, D, C, A)
    # then
    assert position(B, 1, session, ended=False) == 1  # only the one inside is ahead
    assert position(A, 5, session, ended=False) == 3


def test_no_position_once_the_session_ended() -> None:
    assert position(A, 3, queue(D, D, A), ended=True) is None


def test_waiting_counts_booked_and_arrived_not_the_one_inside() -> None:
    assert waiting_count(queue(D, C, A, X, B, N)) == 2


def test_the_schedules_length_stands_until_five_consultations() -> None:
    assert average_consult_minutes(minutes(3, 3, 3, 3), default_minutes=12) == 12.0
    assert average_consult_minutes(minutes(3, 3, 3, 3, 3), default_minutes=12) == 3.0


def test_a_two_hour_consultation_does_not_swing_the_average() -> None:
    # given: a doctor who takes about 8 minutes, and one call left open over lunch
    usual = minutes(8, 7, 9, 8, 8, 7, 9, 8, 8, 8)
    # when
    with_outlier = average_consult_minutes([timedelta(hours=2), *usual], default_minutes=10)
    without = average_consult_minutes(usual, default_minutes=10)
    # then
    assert without == 8.0
    assert with_outlier == 8.0


def test_even_many_outliers_are_clamped_to_an_hour_each() -> None:
    assert average_consult_minutes(minutes(300, 300, 300, 300, 300), default_minutes=10) == 60.0
    assert average_consult_minutes(minutes(0, 0, 0, 0, 0), default_minutes=10) == 1.0


def test_only_the_twenty_most_recent_consultations_count() -> None:
    # given: newest first, twenty quick ones, then older slow ones
    history = minutes(*([4] * 20), *([30] * 20))
    # then
    assert average_consult_minutes(history, default_minutes=10) == 4.0


def estimate(
    *,
    now: datetime,
    starts_at: datetime,
    place: int | None,
    delay: int = 0,
    started_at: datetime | None = None,
    average: float = 10.0,
) -> datetime | None:
    return estimated_call_at(
        position=place,
        now=now,
        starts_at=starts_at,
        delay_minutes=delay,
        started_at=started_at,
        average_minutes=average,
    )


KOLKATA = ZoneInfo("Asia/Kolkata")
STARTS = local_instant(date(2026, 12, 3), time(18, 0), KOLKATA)


def test_before_the_session_the_estimate_counts_from_its_start() -> None:
    # given
    clock = FixedClock(STARTS - timedelta(hours=3))
    # when
    found = estimate(now=clock.now(), starts_at=STARTS, place=3, average=8)
    # then
    assert found == STARTS + timedelta(minutes=24)


def test_the_estimate_never_promises_earlier_than_start_plus_delay() -> None:
    # given: the doctor started early, then announced 40 minutes of delay
    clock = FixedClock(STARTS - timedelta(minutes=30))
    # when
    found = estimate(now=clock.now(), starts_at=STARTS, place=0, delay=40, started_at=clock.now())
    # then
    assert found == STARTS + timedelta(minutes=40)


def test_a_late_start_and_a_late_now_push_the_estimate() -> None:
    # given
    started = STARTS + timedelta(minutes=25)
    clock = FixedClock(started + timedelta(minutes=50))
    # then
    assert estimate(now=clock.now(), starts_at=STARTS, place=2, started_at=started) == (
        clock.now() + timedelta(minutes=20)
    )
    assert estimate(
        now=STARTS - timedelta(hours=1), starts_at=STARTS, place=1, started_at=started
    ) == started + timedelta(minutes=10)


def test_no_estimate_without_a_position() -> None:
    assert estimate(now=STARTS, starts_at=STARTS, place=None) is None


@pytest.mark.parametrize(
    ("zone", "day", "start", "expected_utc"),
    [
        # New York springs forward at 02:00 on 8 March 2026: a 01:30 session, two patients
        # ahead at 30 minutes each, is called at 02:30 EST = 03:30 EDT.
        ("America/New_York", date(2026, 3, 8), time(1, 30), datetime(2026, 3, 8, 7, 30)),
        # ...and falls back at 02:00 on 1 November 2026: 01:30 EDT + 60 minutes is 01:30 EST.
        ("America/New_York", date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 6, 30)),
        # London springs forward at 01:00 on 29 March 2026.
        ("Europe/London", date(2026, 3, 29), time(0, 30), datetime(2026, 3, 29, 1, 30)),
    ],
)
def test_estimates_add_real_minutes_across_a_dst_change(
    zone: str, day: date, start: time, expected_utc: datetime
) -> None:
    # given
    starts_at = local_instant(day, start, ZoneInfo(zone))
    clock = FixedClock(starts_at - timedelta(hours=1))
    # when
    found = estimate(now=clock.now(), starts_at=starts_at, place=2, average=30)
    # then
    assert found == expected_utc.replace(tzinfo=UTC)


def test_across_the_new_york_fall_back_the_local_clock_shows_the_repeated_hour() -> None:
    # given: 01:30 EDT, one patient ahead at an hour (clamped max), on 1 November 2026
    zone = ZoneInfo("America/New_York")
    starts_at = local_instant(date(2026, 11, 1), time(1, 30), zone)
    # when
    found = estimate(now=starts_at, starts_at=starts_at, place=1, average=60)
    # then: an hour later by the clock on the wall is still 01:30, now EST
    assert found is not None
    local = found.astimezone(zone)
    assert (local.hour, local.minute, local.utcoffset()) == (1, 30, timedelta(hours=-5))
