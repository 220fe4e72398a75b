"""Joining a full session's waitlist, the entry as its holder sees it, leaving, a phone's entries.

Joining passes booking's own checks (resolvers/booking/book.py), in booking's order: the
fields, the schedule and doctor (held FOR SHARE), the date, vacation and the window; then
the session must be FULL; then, in a savepoint, the OTP, the session's seat row locked (so
entries line up in the order promotion reads them, and a seat freed meanwhile is seen),
fullness again, and the patient's booking or wait in that session.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction
from sqlalchemy.orm import aliased

from db.enums import NotificationChannel, WaitlistStatus
from db.models import Account, Schedule, SessionSeats, WaitlistEntry
from resolvers.booking.book import (
    BookingRequest,
    bookable_schedule,
    check_request,
    find_duplicate,
    refusal_of,
    session_on,
    spend_booking_code,
)
from resolvers.booking.loaders import SessionFacts
from resolvers.booking.manage_tokens import derive_entry_token, hash_token, new_salt
from resolvers.booking.results import (
    BookingClosed,
    BookingNotOpen,
    DoctorOnVacation,
    DuplicateBooking,
    NotAScheduledDate,
)
from resolvers.booking.sessions import current_occurrence
from resolvers.booking.wording import describe_session
from resolvers.platform import messages
from resolvers.platform.calendar import SessionStatus, zone_of
from resolvers.platform.changes import SessionKey, announce
from resolvers.platform.errors import NotAllowed, NotFound, OtpInvalid, ValidationFailed
from resolvers.platform.keys import Keyring
from resolvers.platform.outbox import enqueue
from resolvers.waitlist.results import (
    JoinWaitlistResult,
    SessionNotFull,
    WaitlistJoined,
    WaitlistLeft,
    WaitlistView,
)
from resolvers.waitlist.tokens import entry_token_matches, parse_entry_id

ALREADY_WAITING = "This patient is already on this session's waitlist."


def position_of() -> ColumnElement[int | None]:
    """1 + the WAITING entries ahead in the same line, for a WAITING entry; else null."""
    ahead = aliased(WaitlistEntry)
    before = (
        select(func.count())
        .where(
            ahead.schedule_id == WaitlistEntry.schedule_id,
            ahead.session_date == WaitlistEntry.session_date,
            ahead.status == WaitlistStatus.WAITING,
            ahead.id < WaitlistEntry.id,
        )
        .correlate(WaitlistEntry)
        .scalar_subquery()
    )
    return case((WaitlistEntry.status == WaitlistStatus.WAITING, before + 1), else_=None)


async def join_waitlist(
    *,
    session: AsyncSession,
    request: BookingRequest,
    now: datetime,
    keyring: Keyring,
    default_country_code: str,
) -> JoinWaitlistResult:
    # The waitlist keeps no idempotency key: a retry is answered DuplicateBooking.
    checked = check_request(
        BookingRequest(
            schedule_id=request.schedule_id,
            day=request.day,
            patient_name=request.patient_name,
            patient_age=request.patient_age,
            patient_phone=request.patient_phone,
            otp_code=request.otp_code,
        ),
        default_country_code=default_country_code,
        now=now,
    )
    if isinstance(checked, ValidationFailed):
        return checked
    result = await _attempt(session, checked, now=now, keyring=keyring)
    # Ends the transaction on every path, releasing the schedule's and the seats' locks.
    await session.commit()
    return result


async def _attempt(
    session: AsyncSession, checked: BookingRequest, *, now: datetime, keyring: Keyring
) -> JoinWaitlistResult:
    found = await bookable_schedule(session, checked.schedule_id)
    if found is None:
        return NotFound("No such schedule open for booking.")
    schedule, doctor = found
    found_session = await session_on(
        session, schedule=schedule, doctor=doctor, day=checked.day, now=now
    )
    if isinstance(found_session, NotAScheduledDate):
        return found_session
    current, _ = found_session
    if current.status is SessionStatus.OPEN:
        return SessionNotFull(session=current)
    refusal = refusal_of(current)
    if isinstance(refusal, BookingNotOpen | BookingClosed | DoctorOnVacation):
        return refusal
    # FULL: the one state a patient may wait in.
    savepoint = await spend_booking_code(session, checked, now=now, keyring=keyring)
    if savepoint is None:
        return OtpInvalid()
    return await _join(
        session, savepoint, checked, schedule=schedule, doctor=doctor, now=now, keyring=keyring
    )


async def _join(
    session: AsyncSession,
    savepoint: AsyncSessionTransaction,
    request: BookingRequest,
    *,
    schedule: Schedule,
    doctor: Account,
    now: datetime,
    keyring: Keyring,
) -> JoinWaitlistResult:
    """After a good OTP, inside the savepoint: a refusal rolls back so the code stays usable."""
    day = request.day
    booked = await session.scalar(
        select(SessionSeats.booked_count)
        .where(SessionSeats.schedule_id == schedule.id, SessionSeats.session_date == day)
        .with_for_update()
    )
    limit = schedule.patient_limit
    if limit is None or booked is None or booked < limit:
        await savepoint.rollback()
        # A seat freed up since the first look (nobody was waiting for it).
        return SessionNotFull(
            session=await current_occurrence(
                session, schedule=schedule, zone=zone_of(doctor), day=day, now=now
            )
        )
    existing = await find_duplicate(session, request)
    if existing is not None or await _waiting(session, request):
        await savepoint.rollback()
        if existing is not None:
            return DuplicateBooking(existing=existing)
        return DuplicateBooking(existing=None, message=ALREADY_WAITING)
    salt = new_salt()
    entry = WaitlistEntry(
        schedule_id=schedule.id,
        session_date=day,
        patient_name=request.patient_name,
        patient_age=request.patient_age,
        patient_phone=request.patient_phone,
        status=WaitlistStatus.WAITING,
        manage_token_hash="",
        manage_token_salt=salt,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    token = derive_entry_token(key=keyring.current, entry_id=entry.id, salt=salt)
    entry.manage_token_hash = hash_token(token)
    position = await session.scalar(select(position_of()).where(WaitlistEntry.id == entry.id))
    enqueue(
        session,
        channel=NotificationChannel.SMS,
        recipient=request.patient_phone,
        body=messages.fill(
            messages.WAITLISTED,
            entry_id=entry.public_id,
            position=position or 1,
            session=describe_session(schedule, doctor, day),
        ),
        now=now,
    )
    await announce(session, SessionKey(schedule.id, day))
    await savepoint.commit()
    return WaitlistJoined(
        entry=WaitlistView(entry, position),
        manage_token=token,
        schedule=schedule,
        doctor=doctor,
        # FULL, so no vacation covers the day; the seats are as the lock holds them.
        facts=SessionFacts(booked={day: booked}),
    )


async def _waiting(session: AsyncSession, request: BookingRequest) -> bool:
    found = await session.scalar(
        select(WaitlistEntry.id).where(
            WaitlistEntry.schedule_id == request.schedule_id,
            WaitlistEntry.session_date == request.day,
            WaitlistEntry.status == WaitlistStatus.WAITING,
            WaitlistEntry.patient_phone == request.patient_phone,
            func.lower(func.btrim(WaitlistEntry.patient_name)) == request.patient_name.lower(),
        )
    )
    return found is not None


# The entry's holder: a public id and the manage token shown when joining.


async def managed_entry(
    *, session: AsyncSession, public_id: str, manage_token: str, keyring: Keyring
) -> tuple[WaitlistView, Schedule, Account] | None:
    """The entry with its place in line, schedule and doctor (one statement); None unless the
    token is its manage token."""
    entry_id = parse_entry_id(public_id)
    if entry_id is None:
        return None
    row = (
        await session.execute(
            select(WaitlistEntry, position_of(), Schedule, Account)
            .join(Schedule, Schedule.id == WaitlistEntry.schedule_id)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(WaitlistEntry.id == entry_id)
        )
    ).first()
    if row is None or not entry_token_matches(manage_token, entry=row[0], keyring=keyring):
        return None
    return WaitlistView(row[0], row[1]), row[2], row[3]


async def leave_waitlist(
    *, session: AsyncSession, public_id: str, manage_token: str, keyring: Keyring
) -> WaitlistLeft | NotFound | NotAllowed:
    """Give up a WAITING place; NotAllowed once promoted, left or expired."""
    entry_id = parse_entry_id(public_id)
    entry = (
        None
        if entry_id is None
        else await session.scalar(
            select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update()
        )
    )
    if entry is None or not entry_token_matches(manage_token, entry=entry, keyring=keyring):
        await session.commit()  # releases the row lock; nothing was written
        return NotFound("No waitlist entry with this id and manage token.")
    if entry.status is not WaitlistStatus.WAITING:
        await session.commit()
        return NotAllowed(_why_not_waiting(entry.status))
    entry.status = WaitlistStatus.LEFT
    await announce(session, SessionKey(entry.schedule_id, entry.session_date))
    await session.commit()
    return WaitlistLeft(WaitlistView(entry, None))


def _why_not_waiting(status: WaitlistStatus) -> str:
    if status is WaitlistStatus.PROMOTED:
        return "This entry was already booked into a freed seat: cancel the appointment instead."
    if status is WaitlistStatus.LEFT:
        return "This entry has already left the waitlist."
    return "Booking for this session has closed; the entry has expired."


async def waitlist_of_phone(*, session: AsyncSession, phone: str) -> list[WaitlistView]:
    """Every entry of a phone (E.164), newest session first, with places in line (one read)."""
    rows = await session.execute(
        select(WaitlistEntry, position_of())
        .join(Schedule, Schedule.id == WaitlistEntry.schedule_id)
        .where(WaitlistEntry.patient_phone == phone)
        .order_by(
            WaitlistEntry.session_date.desc(), Schedule.start_time.desc(), WaitlistEntry.id.desc()
        )
    )
    return [WaitlistView(entry, position) for entry, position in rows.all()]
