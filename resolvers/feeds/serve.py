"""Serving feeds: find what a token opens, spend its budget, build the document, date it.

A wrong, forged or rotated token and a token of nothing all answer the same
FeedMissing, after the same constant-time comparison, so an answer never tells
which part of a guess was right.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from db.enums import AccountRole, AppointmentStatus
from db.models import Account, Appointment
from db.session import RequestSession
from resolvers.booking import sessions
from resolvers.booking.manage_tokens import parse_public_id
from resolvers.feeds import ics, state, tokens
from resolvers.feeds.state import FeedLimited
from resolvers.loaders import Loaders
from resolvers.platform.calendar import today_in
from resolvers.platform.keys import Keyring

# A doctor's feed covers today and the 60 days after it, in their zone: the same
# "60 days ahead" as nextAvailableSession's look-ahead.
FEED_DAYS = 60
_CANCELLED = (AppointmentStatus.CANCELLED_BY_PATIENT, AppointmentStatus.CANCELLED_BY_DOCTOR)


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """An iCalendar document, its ETag (quoted, as sent) and when its content last changed."""

    body: bytes
    etag: str
    last_modified: datetime
    filename: str

    def is_fresh(self, *, if_none_match: str | None, if_modified_since: str | None) -> bool:
        """Whether the client's copy is this one (RFC 9110: If-None-Match wins when both come)."""
        if if_none_match is not None:
            tags = [tag.strip() for tag in if_none_match.split(",")]
            return "*" in tags or any(tag.removeprefix("W/") == self.etag for tag in tags)
        if not if_modified_since:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False  # an unreadable date is ignored, as RFC 9110 says
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        # HTTP dates have whole seconds.
        return self.last_modified.replace(microsecond=0) <= since


@dataclass(frozen=True, slots=True)
class FeedMissing:
    """No feed answers this URL (or no longer does)."""


FeedAnswer = FeedDocument | FeedMissing | FeedLimited


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def _dated(
    db: RequestSession, *, key: str, body: bytes, filename: str, now: datetime
) -> FeedDocument:
    etag = etag_of(body)
    async with db.use() as session:
        changed = await state.content_changed_at(session, key=key, etag=etag.strip('"'), now=now)
        await session.commit()
    return FeedDocument(body=body, etag=etag, last_modified=changed, filename=filename)


async def doctor_feed(
    db: RequestSession, *, token: str, now: datetime, requests_per_hour: int
) -> FeedAnswer:
    """A doctor's feed: their sessions from today for 60 days, as the API reports them."""
    if not tokens.well_formed(token):
        return FeedMissing()
    async with db.use() as session:
        doctor = (
            await session.scalars(
                select(Account).where(
                    Account.calendar_feed_token == token, Account.role == AccountRole.DOCTOR
                )
            )
        ).one_or_none()
        if doctor is None or not tokens.same_token(token, doctor.calendar_feed_token):
            return FeedMissing()
        key = tokens.digest("doctor", token)
        limited = await state.spend(session, key=key, now=now, per_hour=requests_per_hour)
        if limited is not None:
            await session.commit()
            return limited
    loaders = Loaders(db)
    zone = ZoneInfo(doctor.time_zone)
    first = today_in(zone, now)
    window = ics.FeedWindow(zone=zone, first=first, last=first + timedelta(days=FEED_DAYS))
    found = await sessions.doctor_sessions(
        loaders,
        doctor_id=doctor.id,
        time_zone=doctor.time_zone,
        start=window.first,
        end=window.last,
        now=now,
    )
    schedules = await loaders.schedules_by_doctor_id.load(doctor.id)
    body = ics.doctor_calendar(
        doctor_id=doctor.id,
        doctor_name=doctor.name,
        window=window,
        schedules={schedule.id: schedule for schedule in schedules},
        sessions=found,
    )
    return await _dated(db, key=key, body=body, filename="medimyth-sessions.ics", now=now)


async def appointment_calendar(
    db: RequestSession,
    *,
    public_id: str,
    signature: str,
    keyring: Keyring,
    now: datetime,
    requests_per_hour: int,
) -> FeedAnswer:
    """A patient's .ics of one booking, for the link whose signature matches."""
    appointment_id = parse_public_id(public_id)
    if appointment_id is None or not signature:
        return FeedMissing()
    async with db.use() as session:
        appointment = (
            await session.scalars(select(Appointment).where(Appointment.id == appointment_id))
        ).one_or_none()
        if appointment is None or not tokens.signature_matches(
            signature,
            keyring=keyring,
            appointment_id=appointment.id,
            created_at=appointment.created_at,
        ):
            return FeedMissing()
        key = tokens.digest("appointment", signature)
        limited = await state.spend(session, key=key, now=now, per_hour=requests_per_hour)
        if limited is not None:
            await session.commit()
            return limited
    loaders = Loaders(db)
    schedule = await loaders.schedule_by_id.load(appointment.schedule_id)
    assert schedule is not None  # appointments.schedule_id is a foreign key
    doctor = await loaders.account_by_id.load(schedule.doctor_id)
    assert doctor is not None  # schedules.doctor_id is a foreign key
    occurrence = await sessions.session_of(
        loaders,
        schedule=schedule,
        time_zone=doctor.time_zone,
        day=appointment.session_date,
        now=now,
    )
    body = ics.appointment_calendar(
        ics.BookedVisit(
            appointment_id=appointment.id,
            public_id=appointment.public_id,
            queue_number=appointment.queue_number,
            cancelled=appointment.status in _CANCELLED,
            created_at=appointment.created_at,
            doctor_name=doctor.name,
            schedule=schedule,
            session=occurrence,
        )
    )
    filename = f"{appointment.public_id}.ics"
    return await _dated(db, key=key, body=body, filename=filename, now=now)
