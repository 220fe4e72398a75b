"""Booking a place in a session: every rule with its own answer, capacity held by one upsert.

Order of checks: the request's fields; an idempotent replay; the schedule and
its doctor; the date; vacation; the booking window; seats (a cheap pre-check);
then, in a savepoint, the OTP, the duplicate check and the seat itself. The
answers before the OTP reveal only what the public session list shows anyway;
whether a phone already booked is told only to whoever proved that phone.
A refusal after the OTP rolls the savepoint back, so the code stays usable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from db.enums import (
    AccountRole,
    AppointmentStatus,
    DoctorStatus,
    NotificationChannel,
    OtpPurpose,
    WebhookEvent,
)
from db.models import Account, Appointment, Schedule, SessionSeats
from resolvers.booking.candidates import occurrence_on
from resolvers.booking.loaders import SessionFacts, session_facts
from resolvers.booking.manage_tokens import derive_token, hash_token, new_salt, token_again
from resolvers.booking.results import (
    Booked,
    BookingClosed,
    BookingNotOpen,
    BookingResult,
    DoctorOnVacation,
    DuplicateBooking,
    NotAScheduledDate,
    SessionFull,
)
from resolvers.booking.sessions import current_occurrence, next_session_after
from resolvers.booking.wording import describe_session
from resolvers.platform import messages
from resolvers.platform.calendar import (
    Occurrence,
    SessionStatus,
    outside_window,
    pattern_of,
    zone_of,
)
from resolvers.platform.changes import SessionKey, announce
from resolvers.platform.errors import (
    FieldError,
    FieldProblem,
    NotFound,
    OtpInvalid,
    Problems,
    ValidationFailed,
)
from resolvers.platform.keys import Key, Keyring
from resolvers.platform.otp import verify_otp
from resolvers.platform.outbox import enqueue, enqueue_webhook_events
from resolvers.platform.phones import normalize_phone
from resolvers.platform.text import single_line
from resolvers.platform.webhook_events import appointment_event

MAX_NAME = 200
MAX_KEY = 128


@dataclass(frozen=True, slots=True)
class BookingRequest:
    schedule_id: int
    day: date
    patient_name: str
    patient_age: int
    patient_phone: str
    otp_code: str
    idempotency_key: str | None = None


def check_request(
    request: BookingRequest, *, default_country_code: str, now: datetime
) -> BookingRequest | ValidationFailed:
    """The request with its fields checked and tidied (one-line name, E.164 phone), or why not."""
    problems = Problems()
    if (outside := outside_window(request.day, now=now)) is not None:
        problems.add("date", FieldProblem.OUT_OF_RANGE, outside)
    name = single_line(request.patient_name)
    if not name:
        problems.add("patientName", FieldProblem.REQUIRED, "The patient's name is required.")
    elif len(name) > MAX_NAME:
        problems.add("patientName", FieldProblem.TOO_LONG, f"At most {MAX_NAME} characters.")
    if not 0 <= request.patient_age <= 130:
        problems.add("patientAge", FieldProblem.OUT_OF_RANGE, "Age must be between 0 and 130.")
    phone = normalize_phone(request.patient_phone, default_country_code=default_country_code)
    if phone is None:
        problems.add(
            "patientPhone", FieldProblem.INVALID_FORMAT, "This is not a valid phone number."
        )
    key = request.idempotency_key.strip() if request.idempotency_key is not None else None
    if key is not None and not 0 < len(key) <= MAX_KEY:
        too = FieldProblem.TOO_SHORT if not key else FieldProblem.TOO_LONG
        problems.add("idempotencyKey", too, f"Between 1 and {MAX_KEY} characters.")
    failed = problems.result()
    if failed is not None:
        return failed
    return BookingRequest(
        schedule_id=request.schedule_id,
        day=request.day,
        patient_name=name,
        patient_age=request.patient_age,
        patient_phone=phone or "",
        otp_code=request.otp_code.strip(),
        idempotency_key=key,
    )


def _fingerprint(request: BookingRequest, *, key: Key) -> str:
    """What a retry must repeat to get the first answer again (keyed: it includes the code)."""
    payload = json.dumps(
        [
            request.schedule_id,
            request.day.isoformat(),
            request.patient_name.lower(),
            request.patient_age,
            request.patient_phone,
            request.otp_code,
        ]
    )
    return key.mac(payload).hex()


async def _replay(
    session: AsyncSession, request: BookingRequest, *, keyring: Keyring
) -> Booked | ValidationFailed | None:
    """The first answer for the request's idempotency key, as the appointment stands now.

    The first request may have been keyed with a key now listed as previous: its
    fingerprint and manage token are recognised by any listed key.
    """
    row = (
        await session.execute(
            select(Appointment, Schedule, Account)
            .join(Schedule, Schedule.id == Appointment.schedule_id)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(Appointment.idempotency_key == request.idempotency_key)
        )
    ).first()
    if row is None:
        return None
    appointment, schedule, doctor = row[0], row[1], row[2]
    first = appointment.idempotency_fingerprint or ""
    if keyring.matching_key(first, lambda key: _fingerprint(request, key=key)) is None:
        message = "This idempotency key was already used for a different booking."
        return ValidationFailed((FieldError("idempotencyKey", FieldProblem.CONFLICT, message),))
    token = token_again(appointment, keyring=keyring)
    facts = await facts_of(session, schedule, appointment.session_date)
    await session.commit()
    return Booked(
        appointment=appointment,
        manage_token=token,
        schedule=schedule,
        doctor=doctor,
        facts=facts,
        replayed=True,
    )


async def facts_of(session: AsyncSession, schedule: Schedule, day: date) -> SessionFacts:
    """The session's vacations and seats taken, as the session loader would read them."""
    return (await session_facts(session, [schedule.id], day, day)).get(schedule.id, SessionFacts())


async def bookable_schedule(
    session: AsyncSession, schedule_id: int
) -> tuple[Schedule, Account] | None:
    """An active schedule of an active doctor, with the doctor, held FOR SHARE; else None."""
    row = (
        await session.execute(
            select(Schedule, Account)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(
                Schedule.id == schedule_id,
                Schedule.is_active,
                Account.role == AccountRole.DOCTOR,
                Account.status == DoctorStatus.ACTIVE,
            )
            # Shared with other bookings, exclusive with schedule edits and vacations: a
            # change to the schedule waits for bookings in flight, and a booking that
            # comes during a change waits, then reads the changed schedule.
            .with_for_update(read=True, of=Schedule)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def find_duplicate(session: AsyncSession, request: BookingRequest) -> Appointment | None:
    """The patient's (phone and name) BOOKED place in the request's session, if any."""
    return await session.scalar(
        select(Appointment).where(
            Appointment.schedule_id == request.schedule_id,
            Appointment.session_date == request.day,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.patient_phone == request.patient_phone,
            func.lower(func.btrim(Appointment.patient_name)) == request.patient_name.lower(),
        )
    )


async def take_seat(session: AsyncSession, schedule: Schedule, day: date) -> tuple[int, int] | None:
    """Take a seat in one atomic statement: (queue number, seats now taken); None when full.

    Concurrent bookings of one session queue on this row's lock (a transaction
    pooler changes nothing: it is one statement inside the transaction).
    """
    statement = (
        insert(SessionSeats)
        .values(schedule_id=schedule.id, session_date=day, booked_count=1, last_queue_number=1)
        .on_conflict_do_update(
            index_elements=[SessionSeats.schedule_id, SessionSeats.session_date],
            set_={
                "booked_count": SessionSeats.booked_count + 1,
                "last_queue_number": SessionSeats.last_queue_number + 1,
            },
            where=(
                None
                if schedule.patient_limit is None
                else SessionSeats.booked_count < schedule.patient_limit
            ),
        )
        .returning(SessionSeats.last_queue_number, SessionSeats.booked_count)
    )
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1])


async def book_appointment(
    *,
    session: AsyncSession,
    request: BookingRequest,
    now: datetime,
    keyring: Keyring,
    default_country_code: str,
) -> BookingResult:
    checked = check_request(request, default_country_code=default_country_code, now=now)
    if isinstance(checked, ValidationFailed):
        return checked
    result = await _attempt(session, checked, now=now, keyring=keyring)
    # Ends the transaction on every path, releasing the schedule's share lock early.
    await session.commit()
    return result


async def _attempt(
    session: AsyncSession, checked: BookingRequest, *, now: datetime, keyring: Keyring
) -> BookingResult:
    key = checked.idempotency_key
    if key is not None:
        replayed = await _replay(session, checked, keyring=keyring)
        if replayed is not None:
            return replayed
    found = await bookable_schedule(session, checked.schedule_id)
    if found is None:
        return NotFound("No such schedule open for booking.")
    schedule, doctor = found
    found_session = await session_on(
        session, schedule=schedule, doctor=doctor, day=checked.day, now=now
    )
    if isinstance(found_session, NotAScheduledDate):
        return found_session
    current, facts = found_session
    refusal = refusal_of(current)
    if refusal is not None:
        return refusal
    savepoint = await spend_booking_code(session, checked, now=now, keyring=keyring)
    if savepoint is None:
        # A concurrent retry with the same key may have used the code first.
        if key is not None:
            replayed = await _replay(session, checked, keyring=keyring)
            if replayed is not None:
                return replayed
        return OtpInvalid()
    return await _book(
        session,
        savepoint,
        checked,
        schedule=schedule,
        doctor=doctor,
        facts=facts,
        now=now,
        keyring=keyring,
    )


async def session_on(
    session: AsyncSession, *, schedule: Schedule, doctor: Account, day: date, now: datetime
) -> tuple[Occurrence, SessionFacts] | NotAScheduledDate:
    """The schedule's session on the day and what it holds, read in the caller's transaction.

    NotAScheduledDate (naming the next session) when the schedule does not fall on the day.
    """
    zone = zone_of(doctor)
    if not pattern_of(schedule).falls_on(day):
        upcoming = await next_session_after(session, schedule=schedule, zone=zone, day=day, now=now)
        return NotAScheduledDate(next_session=upcoming)
    facts = await facts_of(session, schedule, day)
    current = occurrence_on(
        schedule,
        day,
        zone=zone,
        vacations=facts.vacations,
        booked=facts.booked.get(day, 0),
        now=now,
    )
    return current, facts


async def spend_booking_code(
    session: AsyncSession, request: BookingRequest, *, now: datetime, keyring: Keyring
) -> AsyncSessionTransaction | None:
    """A savepoint once the patient's BOOK_APPOINTMENT code checks out, else None.

    A wrong code is committed before None is returned: the attempt must count even though
    the caller answers OtpInvalid.
    """
    savepoint = await session.begin_nested()
    if await verify_otp(
        session=session,
        phone=request.patient_phone,
        purpose=OtpPurpose.BOOK_APPOINTMENT,
        code=request.otp_code,
        now=now,
        keyring=keyring,
    ):
        return savepoint
    await savepoint.commit()
    await session.commit()
    return None


def refusal_of(
    current: Occurrence,
) -> DoctorOnVacation | BookingClosed | BookingNotOpen | SessionFull | None:
    """The answer for a session that cannot be booked now (FULL included); None when OPEN."""
    times = current.times
    if current.status is SessionStatus.ON_VACATION:
        assert current.vacation_until is not None
        return DoctorOnVacation(until=current.vacation_until)
    if current.status is SessionStatus.CLOSED:
        return BookingClosed(closed_at=times.local(times.closes_at))
    if current.status is SessionStatus.NOT_YET_OPEN:
        return BookingNotOpen(opens_at=times.local(times.opens_at))
    if current.status is SessionStatus.FULL:
        return SessionFull(session=current)
    return None


async def _book(
    session: AsyncSession,
    savepoint: AsyncSessionTransaction,
    request: BookingRequest,
    *,
    schedule: Schedule,
    doctor: Account,
    facts: SessionFacts,
    now: datetime,
    keyring: Keyring,
) -> BookingResult:
    """The part after a good OTP, inside the savepoint: duplicate, seat, appointment, SMS."""
    existing = await find_duplicate(session, request)
    if existing is not None:
        await savepoint.rollback()
        await session.commit()
        return DuplicateBooking(existing=existing)
    seat = await take_seat(session, schedule, request.day)
    if seat is None:
        await savepoint.rollback()
        zone = zone_of(doctor)
        full = await current_occurrence(
            session, schedule=schedule, zone=zone, day=request.day, now=now
        )
        await session.commit()
        return SessionFull(session=full)
    queue_number, taken = seat
    salt = new_salt()
    appointment = Appointment(
        schedule_id=schedule.id,
        session_date=request.day,
        queue_number=queue_number,
        patient_name=request.patient_name,
        patient_age=request.patient_age,
        patient_phone=request.patient_phone,
        status=AppointmentStatus.BOOKED,
        manage_token_hash="",
        manage_token_salt=salt,
        idempotency_key=request.idempotency_key,
        idempotency_fingerprint=(
            _fingerprint(request, key=keyring.current) if request.idempotency_key else None
        ),
        created_at=now,
    )
    session.add(appointment)
    try:
        await session.flush()
    except IntegrityError:
        # A concurrent request of the same patient (or with the same key) got there first.
        await savepoint.rollback()
        return await _lost_race(session, request, keyring=keyring)
    token = derive_token(key=keyring.current, appointment_id=appointment.id, salt=salt)
    appointment.manage_token_hash = hash_token(token)
    enqueue(
        session,
        channel=NotificationChannel.SMS,
        recipient=request.patient_phone,
        body=messages.fill(
            messages.BOOKED,
            public_id=appointment.public_id,
            queue_number=queue_number,
            session=describe_session(schedule, doctor, request.day),
        ),
        now=now,
    )
    await enqueue_webhook_events(
        session,
        [appointment_event(WebhookEvent.APPOINTMENT_BOOKED, appointment, schedule, doctor)],
        now=now,
    )
    await announce(session, SessionKey(schedule.id, request.day))
    await savepoint.commit()
    await session.commit()
    # No vacation covers the day (it would have refused), and the seats are as just taken.
    seats = SessionFacts(vacations=facts.vacations, booked={request.day: taken})
    return Booked(
        appointment=appointment,
        manage_token=token,
        schedule=schedule,
        doctor=doctor,
        facts=seats,
    )


async def _lost_race(
    session: AsyncSession, request: BookingRequest, *, keyring: Keyring
) -> BookingResult:
    if request.idempotency_key is not None:
        replayed = await _replay(session, request, keyring=keyring)
        if replayed is not None:
            await session.commit()
            return replayed
    existing = await find_duplicate(session, request)
    await session.commit()
    if existing is None:
        raise RuntimeError("booking refused by a constraint other than the known races")
    return DuplicateBooking(existing=existing)
