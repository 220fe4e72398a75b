"""When a session starts and how an SMS names it: shared by booking, cancelling, promotion."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from db.models import Account, ScheduleRecord
from resolvers.platform import messages
from resolvers.platform.calendar import local_instant


def session_start(schedule: ScheduleRecord, doctor: Account, day: date) -> datetime:
    return local_instant(day, schedule.start_time, ZoneInfo(doctor.time_zone))


def describe_session(schedule: ScheduleRecord, doctor: Account, day: date) -> str:
    """A session as a patient's SMS names it (the doctor's words bounded, links removed)."""
    starts = session_start(schedule, doctor, day).astimezone(ZoneInfo(doctor.time_zone))
    return messages.fill(
        messages.SESSION,
        doctor=doctor.name or "",
        place=schedule.clinic_name or schedule.medical_shop or "",
        address=schedule.address,
        day=f"{starts:%a %d %b %Y}",
        start=f"{starts:%H:%M}",
    )
