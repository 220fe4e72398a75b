"""Moving a booking to another session: the new place taken and the old released together.

Every booking rule applies to the target (booking's own checks, in resolvers/booking/book.py),
except the one-time code: the manage token or the phone token already proved the phone.
One transaction takes the new seat, creates the new appointment (a new public id and
manage token), cancels the old one (CANCELLED_BY_PATIENT, reason "rescheduled") and gives
its seat back through ``release_seats`` (which promotes the first of that session's
waitlist into it); any refusal leaves both sessions as they were.

Lock order (resolvers/accounts/standing.py): the target schedule FOR SHARE, as a booking
holds it; then the old appointment FOR UPDATE; then both seat counters in (schedule id,
date) order, so two patients moving in opposite directions queue instead of deadlocking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from db.enums import AppointmentStatus, NotificationChannel, WebhookEvent
from db.models import Account, Appointment, Schedule, SessionSeats
from resolvers.booking.appointments import can_cancel, patient_may_manage, release_seats
from resolvers.booking.book import (
    BookingRequest,
    bookable_schedule,
    check_request,
    facts_of,
    find_duplicate,
    refusal_of,
    session_on,
    take_seat,
)
from resolvers.booking.loaders import SessionFacts
from resolvers.booking.manage_tokens import (
    derive_token,
    hash_token,
    new_salt,
    parse_public_id,
    token_again,
)
from resolvers.booking.results import (
    BookingClosed,
    BookingNotOpen,
    DoctorOnVacation,
    DuplicateBooking,
    NotAScheduledDate,
    SessionFull,
)
from resolvers.booking.sessions import current_occurrence
from resolvers.booking.wording import describe_session, session_start
from resolvers.platform import messages
from resolvers.platform.audit import Actor
from resolvers.platform.calendar import zone_of
from resolvers.platform.changes import SessionKey, announce
from resolvers.platform.errors import (
    FieldError,
    FieldProblem,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from resolvers.platform.keys import Key, Keyring
from resolvers.platform.outbox import enqueue, enqueue_webhook_events
from resolvers.platform.webhook_events import appointment_event

if TYPE_CHECKING:
    from resolvers.loaders import Loaders

REASON = "rescheduled"
_NOT_FOUND = "No appointment with this id and manage token."
_NOT_MOVABLE = "Only a booked appointment whose session has not started can be moved."


@dataclass(frozen=True, slots=True)
class RescheduleRequest:
    public_id: str
    manage_token: str | None
    schedule_id: int
    day: date
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Rescheduled:
    """The new appointment and its manage token, the old one, and what the answer reads.

    Like ``Booked``: the new session's schedule, doctor and facts come from the moving
    transaction, so the answer needs no statement after the commit.
    """

    appointment: Appointment
    manage_token: str
    previous: Appointment
    schedule: Schedule
    doctor: Account
    facts: SessionFacts
    replayed: bool = False

    def prime_loaders(self, loaders: Loaders) -> None:
        schedule, day = self.schedule, self.appointment.session_date
        loaders.schedule_by_id.clear(schedule.id).prime(schedule.id, schedule)
        loaders.account_by_id.clear(self.doctor.id).prime(self.doctor.id, self.doctor)
        window = (schedule.id, day, day)
        loaders.session_facts_by_schedule_window.clear(window).prime(window, self.facts)


RescheduleResult = (
    Rescheduled
    | SessionFull
    | BookingNotOpen
    | BookingClosed
    | DoctorOnVacation
    | NotAScheduledDate
    | DuplicateBooking
    | NotFound
    | NotAllowed
    | ValidationFailed
)


def _fingerprint(request: BookingRequest, previous_id: int, *, key: Key) -> str:
    """What a retry must repeat; never equal to a booking's (its payload starts otherwise)."""
    payload = json.dumps(["reschedule", previous_id, request.schedule_id, request.day.isoformat()])
    return key.mac(payload).hex()


async def reschedule_my_appointment(
    *,
    session: AsyncSession,
    request: RescheduleRequest,
    now: datetime,
    keyring: Keyring,
    actor: Actor,
    default_country_code: str,
) -> RescheduleResult:
    """Move the patient's BOOKED appointment to the target session, or change nothing."""
    result = await _attempt(
        session, request, now=now, keyring=keyring, actor=actor, country=default_country_code
    )
    # Ends the transaction on every path (a refusal wrote nothing), releasing the locks.
    await session.commit()
    return result


async def _attempt(
    session: AsyncSession,
    request: RescheduleRequest,
    *,
    now: datetime,
    keyring: Keyring,
    actor: Actor,
    country: str,
) -> RescheduleResult:
    previous_id = parse_public_id(request.public_id)
    previous = None if previous_id is None else await session.get(Appointment, previous_id)
    if previous is None or not patient_may_manage(
        previous, manage_token=request.manage_token, actor=actor, keyring=keyring
    ):
        return NotFound(_NOT_FOUND)
    if previous.patient_phone is None:
        return NotAllowed(_NOT_MOVABLE)  # a walk-in without a phone: never BOOKED
    # The booking's own checks of the date window and the key, on the patient's stored data.
    target = check_request(
        BookingRequest(
            schedule_id=request.schedule_id,
            day=request.day,
            patient_name=previous.patient_name,
            patient_age=previous.patient_age,
            patient_phone=previous.patient_phone,
            otp_code="",
            idempotency_key=request.idempotency_key,
        ),
        default_country_code=country,
        now=now,
    )
    if isinstance(target, ValidationFailed):
        return target
    if target.idempotency_key is not None:
        replayed = await _replay(session, target, previous, keyring=keyring)
        if replayed is not None:
            return replayed
    if (previous.schedule_id, previous.session_date) == (target.schedule_id, target.day):
        return NotAllowed("The appointment is already in this session.")
    found = await bookable_schedule(session, target.schedule_id)
    if found is None:
        return NotFound("No such schedule open for booking.")
    schedule, doctor = found
    locked = await _lock_previous(session, previous.id)
    if target.idempotency_key is not None:
        # A retry with the same key may have moved it while this request waited for the lock.
        replayed = await _replay(session, target, locked[0], keyring=keyring)
        if replayed is not None:
            return replayed
    previous, old_schedule, old_doctor = locked
    starts_at = session_start(old_schedule, old_doctor, previous.session_date)
    if not can_cancel(previous.status, starts_at=starts_at, now=now):
        return NotAllowed(_NOT_MOVABLE)
    found_session = await session_on(
        session, schedule=schedule, doctor=doctor, day=target.day, now=now
    )
    if isinstance(found_session, NotAScheduledDate):
        return found_session
    current, facts = found_session
    refusal = refusal_of(current)
    if refusal is not None:
        return refusal
    existing = await find_duplicate(session, target)
    if existing is not None:
        return DuplicateBooking(existing=existing)
    savepoint = await session.begin_nested()
    return await _move(
        session,
        savepoint,
        target,
        previous=(previous, old_schedule, old_doctor),
        schedule=schedule,
        doctor=doctor,
        facts=facts,
        now=now,
        keyring=keyring,
    )


async def _lock_previous(
    session: AsyncSession, appointment_id: int
) -> tuple[Appointment, Schedule, Account]:
    """The old appointment, locked, re-read as committed (it was read unlocked before)."""
    row = (
        await session.execute(
            select(Appointment, Schedule, Account)
            .join(Schedule, Schedule.id == Appointment.schedule_id)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(Appointment.id == appointment_id)
            .with_for_update(of=Appointment)
            .execution_options(populate_existing=True)
        )
    ).one()
    return row[0], row[1], row[2]


async def _move(
    session: AsyncSession,
    savepoint: AsyncSessionTransaction,
    request: BookingRequest,
    *,
    previous: tuple[Appointment, Schedule, Account],
    schedule: Schedule,
    doctor: Account,
    facts: SessionFacts,
    now: datetime,
    keyring: Keyring,
) -> RescheduleResult:
    """Inside the savepoint: both seat counters, the new appointment, the old one released."""
    old, old_schedule, old_doctor = previous
    old_key = (old.schedule_id, old.session_date)
    if old_key < (request.schedule_id, request.day):
        # Lock order: the lower counter first, even though it is only released later.
        await session.execute(
            select(SessionSeats.booked_count)
            .where(tuple_(SessionSeats.schedule_id, SessionSeats.session_date) == old_key)
            .with_for_update()
        )
    seat = await take_seat(session, schedule, request.day)
    if seat is None:
        await savepoint.rollback()
        full = await current_occurrence(
            session, schedule=schedule, zone=zone_of(doctor), day=request.day, now=now
        )
        return SessionFull(session=full)
    queue_number, taken = seat
    salt = new_salt()
    moved = Appointment(
        schedule_id=schedule.id,
        session_date=request.day,
        queue_number=queue_number,
        patient_name=old.patient_name,
        patient_age=old.patient_age,
        patient_phone=request.patient_phone,
        status=AppointmentStatus.BOOKED,
        manage_token_hash="",
        manage_token_salt=salt,
        idempotency_key=request.idempotency_key,
        idempotency_fingerprint=(
            _fingerprint(request, old.id, key=keyring.current) if request.idempotency_key else None
        ),
        created_at=now,
    )
    session.add(moved)
    try:
        await session.flush()
    except IntegrityError:
        # The same patient booked the target meanwhile, or another request took the key.
        await savepoint.rollback()
        return await _lost_race(session, request, old, keyring=keyring)
    token = derive_token(key=keyring.current, appointment_id=moved.id, salt=salt)
    moved.manage_token_hash = hash_token(token)
    old.status = AppointmentStatus.CANCELLED_BY_PATIENT
    old.cancelled_at = now
    old.cancellation_reason = REASON
    await session.flush()
    # Hands the freed seat to the old session's waitlist, in this transaction.
    await release_seats(session, [old], now=now)
    enqueue(
        session,
        channel=NotificationChannel.SMS,
        recipient=request.patient_phone,
        body=messages.fill(
            messages.RESCHEDULED,
            previous_id=old.public_id,
            public_id=moved.public_id,
            queue_number=queue_number,
            session=describe_session(schedule, doctor, request.day),
        ),
        now=now,
    )
    await enqueue_webhook_events(
        session,
        [
            appointment_event(
                WebhookEvent.APPOINTMENT_CANCELLED,
                old,
                old_schedule,
                old_doctor,
                cancelledBy="PATIENT",
                rescheduledTo=moved.public_id,
            ),
            appointment_event(
                WebhookEvent.APPOINTMENT_BOOKED,
                moved,
                schedule,
                doctor,
                rescheduledFrom=old.public_id,
            ),
        ],
        now=now,
    )
    await announce(session, [SessionKey(*old_key), SessionKey(request.schedule_id, request.day)])
    await savepoint.commit()
    seats = SessionFacts(vacations=facts.vacations, booked={request.day: taken})
    return Rescheduled(
        appointment=moved,
        manage_token=token,
        previous=old,
        schedule=schedule,
        doctor=doctor,
        facts=seats,
    )


async def _replay(
    session: AsyncSession, request: BookingRequest, previous: Appointment, *, keyring: Keyring
) -> Rescheduled | ValidationFailed | None:
    """The first answer for the request's key, as it stands now; refused for another request."""
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
    moved, schedule, doctor = row[0], row[1], row[2]
    first = moved.idempotency_fingerprint or ""
    if keyring.matching_key(first, lambda key: _fingerprint(request, previous.id, key=key)) is None:
        message = "This idempotency key was already used for a different request."
        return ValidationFailed((FieldError("idempotencyKey", FieldProblem.CONFLICT, message),))
    token = token_again(moved, keyring=keyring)
    facts = await facts_of(session, schedule, moved.session_date)
    return Rescheduled(
        appointment=moved,
        manage_token=token,
        previous=previous,
        schedule=schedule,
        doctor=doctor,
        facts=facts,
        replayed=True,
    )


async def _lost_race(
    session: AsyncSession, request: BookingRequest, previous: Appointment, *, keyring: Keyring
) -> RescheduleResult:
    if request.idempotency_key is not None:
        replayed = await _replay(session, request, previous, keyring=keyring)
        if replayed is not None:
            return replayed
    existing = await find_duplicate(session, request)
    if existing is None:
        raise RuntimeError("reschedule refused by a constraint other than the known races")
    return DuplicateBooking(existing=existing)
