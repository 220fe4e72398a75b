"""iCalendar (RFC 5545) documents, built with the icalendar package: pure, no I/O.

A doctor's feed has one VEVENT per session occurrence; a patient's .ics one for their
booking. Times are the doctor's wall clock with a VTIMEZONE built from zoneinfo, so a
calendar app shows 18:00 as 18:00 on both sides of a DST change. Everything in a
document is derived from the data (no "now", no random ids), so the same data gives
the same bytes, and an ETag over them says whether anything changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration
from icalendar.enums import STATUS

from db.models import ScheduleRecord
from resolvers.platform.calendar import OPEN_ENDED_MINUTES, Occurrence, SessionStatus

PRODID = "-//MediMyth//Calendar feeds//EN"
# Events' UIDs name MediMyth's things, not a host: a UID must never change, and the
# host the API is reached at may (PUBLIC_BASE_URL, or none).
UID_DOMAIN = "medimyth"
# How often calendar apps are asked to fetch again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)


def session_uid(schedule_id: int, day: date) -> str:
    """One session's UID: the same in every fetch, so an app updates it instead of adding one."""
    return f"session-{schedule_id}-{day.isoformat()}@{UID_DOMAIN}"


def appointment_uid(appointment_id: int) -> str:
    return f"appointment-{appointment_id}@{UID_DOMAIN}"


def place_of(schedule: ScheduleRecord) -> str:
    return schedule.clinic_name or schedule.medical_shop or "Consultation session"


def location_of(schedule: ScheduleRecord) -> str:
    parts = (schedule.clinic_name, schedule.medical_shop, schedule.address)
    return ", ".join(part for part in parts if part)


def booked_text(item: Occurrence) -> str:
    if item.capacity is None:
        return f"Booked: {item.booked_count} (no limit)"
    return f"Booked: {item.booked_count} of {item.capacity}"


def _local_times(item: Occurrence) -> tuple[datetime, datetime]:
    times = item.times
    starts = times.local(times.starts_at)
    if times.ends_at is None:
        # An open-ended session: as long as it counts for when it conflicts.
        return starts, starts + timedelta(minutes=OPEN_ENDED_MINUTES)
    return starts, times.local(times.ends_at)


def _calendar(*, name: str, uid: str, zone: ZoneInfo) -> Calendar:
    calendar = Calendar.new(
        prodid=PRODID,
        uid=uid,
        name=name,
        method="PUBLISH",
        calscale="GREGORIAN",
        refresh_interval=REFRESH,
    )
    # RFC 7986 wants the value type said; Apple and Outlook read X-PUBLISHED-TTL instead.
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    calendar.add("X-WR-TIMEZONE", zone.key)
    return calendar


def _serialised(calendar: Calendar, *, first: date, last: date) -> bytes:
    # One VTIMEZONE per zone used, covering the events' dates (and a day either side).
    calendar.add_missing_timezones(
        first_date=first - timedelta(days=1), last_date=last + timedelta(days=2)
    )
    serialised: bytes = calendar.to_ical()
    return serialised


@dataclass(frozen=True, slots=True)
class FeedWindow:
    """The dates a doctor's feed covers, inclusive, in the doctor's zone."""

    zone: ZoneInfo
    first: date
    last: date

    @property
    def stamp(self) -> datetime:
        # DTSTAMP is required; the window's first midnight (UTC) keeps the bytes stable.
        return datetime.combine(self.first, time(0), tzinfo=UTC)


def doctor_calendar(
    *,
    doctor_id: int,
    doctor_name: str,
    window: FeedWindow,
    schedules: Mapping[int, ScheduleRecord],
    sessions: Sequence[Occurrence],
) -> bytes:
    """A doctor's feed: every session in the window, a vacation's as cancelled."""
    calendar = _calendar(
        name=f"MediMyth: {doctor_name}", uid=f"doctor-{doctor_id}@{UID_DOMAIN}", zone=window.zone
    )
    for item in sessions:
        schedule = schedules[item.schedule_id]
        starts, ends = _local_times(item)
        on_vacation = item.status is SessionStatus.ON_VACATION
        lines = [booked_text(item), f"Fee: {schedule.fee}"]
        if on_vacation:
            lines.insert(0, f"Cancelled: on vacation until {item.vacation_until}.")
        calendar.add_component(
            Event.new(
                uid=session_uid(item.schedule_id, item.day),
                start=starts,
                end=ends,
                stamp=window.stamp,
                summary=("Cancelled (vacation): " if on_vacation else "") + place_of(schedule),
                location=location_of(schedule),
                description="\n".join(lines),
                status=STATUS.CANCELLED if on_vacation else STATUS.CONFIRMED,
            )
        )
    return _serialised(calendar, first=window.first, last=window.last)


@dataclass(frozen=True, slots=True)
class BookedVisit:
    """What a patient's .ics says of their booking (never their phone, nor their name)."""

    appointment_id: int
    public_id: str
    queue_number: int
    cancelled: bool
    created_at: datetime
    doctor_name: str
    schedule: ScheduleRecord
    session: Occurrence


def appointment_calendar(visit: BookedVisit) -> bytes:
    """A patient's .ics: one event for the booked session, cancelled when it will not happen."""
    session = visit.session
    zone = session.times.zone
    calendar = _calendar(
        name=f"{visit.public_id} with {visit.doctor_name}",
        uid=f"appointment-calendar-{visit.appointment_id}@{UID_DOMAIN}",
        zone=zone,
    )
    starts, ends = _local_times(session)
    cancelled = visit.cancelled or session.status is SessionStatus.ON_VACATION
    lines = [f"Booking {visit.public_id}, queue number {visit.queue_number}."]
    if session.status is SessionStatus.ON_VACATION and not visit.cancelled:
        lines.append(f"The doctor is on vacation until {session.vacation_until}.")
    calendar.add_component(
        Event.new(
            uid=appointment_uid(visit.appointment_id),
            start=starts,
            end=ends,
            stamp=visit.created_at.astimezone(UTC),
            summary=("Cancelled: " if cancelled else "")
            + f"{visit.doctor_name}, {place_of(visit.schedule)}",
            location=location_of(visit.schedule),
            description="\n".join(lines),
            status=STATUS.CANCELLED if cancelled else STATUS.CONFIRMED,
        )
    )
    return _serialised(calendar, first=session.day, last=session.day)
