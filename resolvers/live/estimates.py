"""Estimates, pure arithmetic: a patient's place in the queue and about when they are called.

No I/O and no clock of its own: callers pass ``now``, so the rules are tested with
the fixed clock (and across DST changes, which only the session's start instant sees).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from db.enums import AppointmentStatus

# The learned average needs this many of the doctor's consultations; until then the
# schedule's own consultation length stands.
MIN_HISTORY = 5
# The doctor's most recent consultations the average is learned from.
HISTORY = 20
# Each consultation counts as at least one and at most this many minutes: a call left
# open over lunch (two hours) weighs no more than a long visit.
MAX_CONSULT_MINUTES = 60.0
MIN_CONSULT_MINUTES = 1.0

# Statuses whose patient will still be seen (ahead of someone, they count).
STILL_TO_SEE = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)
FINAL = frozenset(
    {
        AppointmentStatus.COMPLETED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.CANCELLED_BY_PATIENT,
        AppointmentStatus.CANCELLED_BY_DOCTOR,
    }
)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One appointment of a session as the queue sees it: no name, no phone."""

    queue_number: int
    status: AppointmentStatus


def average_consult_minutes(durations: Sequence[timedelta], *, default_minutes: int) -> float:
    """The median of the recent consultations, each clamped; the default until MIN_HISTORY.

    The median of clamped values: one outlier moves it by at most one rank, and never
    past MAX_CONSULT_MINUTES.
    """
    if len(durations) < MIN_HISTORY:
        return float(default_minutes)
    minutes = [
        min(max(d.total_seconds() / 60, MIN_CONSULT_MINUTES), MAX_CONSULT_MINUTES)
        for d in durations[:HISTORY]
    ]
    return round(float(median(minutes)), 1)


def waiting_count(queue: Sequence[QueueEntry]) -> int:
    """Patients still to be called (BOOKED or ARRIVED), the one in consultation not counted."""
    return sum(1 for entry in queue if entry.status in STILL_TO_SEE)


def position(
    status: AppointmentStatus, queue_number: int, queue: Sequence[QueueEntry], *, ended: bool
) -> int | None:
    """How many will still be seen before this patient; None once final (or the session ended).

    Those ahead: BOOKED or ARRIVED with a lower number, plus the one in consultation.
    The patient in consultation is at position 0.
    """
    if status in FINAL or ended:
        return None
    if status is AppointmentStatus.IN_CONSULTATION:
        return 0
    return sum(
        1
        for entry in queue
        if (entry.status in STILL_TO_SEE and entry.queue_number < queue_number)
        or entry.status is AppointmentStatus.IN_CONSULTATION
    )


def estimated_call_at(
    *,
    position: int | None,
    now: datetime,
    starts_at: datetime,
    delay_minutes: int,
    started_at: datetime | None,
    average_minutes: float,
) -> datetime | None:
    """max(now, start + delay, startedAt) + position x average; None without a position.

    Never earlier than the session's start plus the announced delay, even for the
    first patient of a session that started early.
    """
    if position is None:
        return None
    base = max(now, starts_at + timedelta(minutes=delay_minutes))
    if started_at is not None:
        base = max(base, started_at)
    return base + timedelta(minutes=position * average_minutes)
