"""Appointments after booking: the patient's and the doctor's views, cancelling, the lifecycle."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import (
    AppointmentStatus,
    AuditAction,
    AuditTargetKind,
    DoctorStatus,
    NotificationChannel,
    WebhookEvent,
)
from db.models import (
    Account,
    Appointment,
    LiveSession,
    Schedule,
    SessionSeats,
)
from resolvers.accounts.standing import lock_doctor
from resolvers.audit.trail import record, safe_text
from resolvers.booking.manage_tokens import parse_public_id, token_matches
from resolvers.booking.promotion import fill_from_waitlist
from resolvers.booking.wording import describe_session as describe_session
from resolvers.booking.wording import session_start as session_start
from resolvers.platform import messages
from resolvers.platform.audit import Actor
from resolvers.platform.calendar import today_in
from resolvers.platform.changes import SessionKey, announce
from resolvers.platform.errors import NotAllowed, NotFound
from resolvers.platform.keys import Keyring
from resolvers.platform.outbox import enqueue, enqueue_webhook_events
from resolvers.platform.webhook_events import appointment_event

CANCELLED = (AppointmentStatus.CANCELLED_BY_PATIENT, AppointmentStatus.CANCELLED_BY_DOCTOR)

# The lifecycle a doctor drives after booking. Cancelling has its own mutations
# (it frees the seat and tells the patient); a cancelled or completed visit is final.
_NEXT_STATUSES = {
    AppointmentStatus.BOOKED: {
        AppointmentStatus.ARRIVED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.COMPLETED,
    },
    AppointmentStatus.ARRIVED: {AppointmentStatus.COMPLETED},
    # A patient marked absent who turns up late.
    AppointmentStatus.NO_SHOW: {AppointmentStatus.ARRIVED},
    # Called in by callNext (which alone makes IN_CONSULTATION): done here or by the next call.
    AppointmentStatus.IN_CONSULTATION: {AppointmentStatus.COMPLETED},
}


@dataclass(frozen=True, slots=True)
class AppointmentCancelled:
    appointment: Appointment


@dataclass(frozen=True, slots=True)
class AppointmentUpdated:
    appointment: Appointment


def can_cancel(status: AppointmentStatus, *, starts_at: datetime, now: datetime) -> bool:
    """A booking can be cancelled while it is BOOKED and its session has not started."""
    return status is AppointmentStatus.BOOKED and now < starts_at


async def release_seats(
    session: AsyncSession, appointments: Sequence[Appointment], *, now: datetime
) -> list[Appointment]:
    """Give back the seats of just-cancelled appointments and hand them to the waitlists.

    One UPDATE per session, in (schedule id, session date) order: step 4 of
    resolvers/accounts/standing.py. While that UPDATE holds the session's seat row, the
    first WAITING entries take the freed seats (resolvers/booking/promotion.py). Each
    session is announced: its counts changed. Returns the appointments promotion made.
    """
    promoted: list[Appointment] = []
    for (schedule_id, day), count in sorted(
        Counter((a.schedule_id, a.session_date) for a in appointments).items()
    ):
        booked = await session.scalar(
            update(SessionSeats)
            .where(SessionSeats.schedule_id == schedule_id, SessionSeats.session_date == day)
            .values(booked_count=SessionSeats.booked_count - count)
            .returning(SessionSeats.booked_count)
        )
        if booked is not None:
            promoted += await fill_from_waitlist(
                session, schedule_id=schedule_id, day=day, booked=booked, now=now
            )
        await announce(session, SessionKey(schedule_id, day))
    return promoted


async def future_booked(
    session: AsyncSession,
    *,
    schedules: Sequence[Schedule],
    doctor: Account,
    now: datetime,
    start: date | None = None,
    end: date | None = None,
    lock: bool = True,
) -> list[Appointment]:
    """BOOKED appointments of the schedules whose session has not started.

    Locked for update unless ``lock`` is false (a dry run that changes nothing).
    """
    if not schedules:
        return []
    by_id = {schedule.id: schedule for schedule in schedules}
    today = today_in(ZoneInfo(doctor.time_zone), now)
    query = (
        select(Appointment)
        .where(
            Appointment.schedule_id.in_(list(by_id)),
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.session_date >= max(start or today, today),
        )
        .order_by(Appointment.session_date, Appointment.schedule_id, Appointment.queue_number)
    )
    if lock:
        query = query.with_for_update()
    if end is not None:
        query = query.where(Appointment.session_date <= end)
    found = (await session.scalars(query)).all()
    return [
        appointment
        for appointment in found
        if session_start(by_id[appointment.schedule_id], doctor, appointment.session_date) > now
    ]


async def cancel_booked(
    session: AsyncSession,
    appointments: Sequence[Appointment],
    *,
    schedule_by_id: dict[int, Schedule],
    doctor: Account,
    status: AppointmentStatus,
    reason: str | None,
    now: datetime,
) -> int:
    """Cancel locked BOOKED appointments, free their seats, queue an SMS to each. Caller commits."""
    for appointment in appointments:
        appointment.status = status
        appointment.cancelled_at = now
        appointment.cancellation_reason = reason
        by_patient = status is AppointmentStatus.CANCELLED_BY_PATIENT
        where = describe_session(
            schedule_by_id[appointment.schedule_id], doctor, appointment.session_date
        )
        values: dict[str, str | int] = {
            "public_id": appointment.public_id,
            "queue_number": appointment.queue_number,
            "session": where,
        }
        if reason:
            template = (
                messages.CANCELLED_BY_PATIENT_WITH_REASON
                if by_patient
                else messages.CANCELLED_BY_DOCTOR_WITH_REASON
            )
            values["reason"] = reason
        else:
            template = messages.CANCELLED_BY_PATIENT if by_patient else messages.CANCELLED_BY_DOCTOR
        if appointment.patient_phone is not None:  # only a walk-in has none, and is not BOOKED
            enqueue(
                session,
                channel=NotificationChannel.SMS,
                recipient=appointment.patient_phone,
                body=messages.fill(template, **values),
                now=now,
            )
    await enqueue_webhook_events(
        session,
        [
            appointment_event(
                WebhookEvent.APPOINTMENT_CANCELLED,
                appointment,
                schedule_by_id[appointment.schedule_id],
                doctor,
                cancelledBy="PATIENT"
                if status is AppointmentStatus.CANCELLED_BY_PATIENT
                else "DOCTOR",
            )
            for appointment in appointments
        ],
        now=now,
    )
    await session.flush()
    await release_seats(session, appointments, now=now)
    return len(appointments)


async def _locked(
    session: AsyncSession, *conditions: Any
) -> tuple[Appointment, Schedule, Account] | None:
    row = (
        await session.execute(
            select(Appointment, Schedule, Account)
            .join(Schedule, Schedule.id == Appointment.schedule_id)
            .join(Account, Account.id == Schedule.doctor_id)
            .where(*conditions)
            .with_for_update(of=Appointment)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


# The patient's side: a public id and the manage token shown at booking.


async def managed_appointment(
    *, session: AsyncSession, public_id: str, manage_token: str, keyring: Keyring
) -> Appointment | None:
    """The appointment when the token is its manage token; None for anything else."""
    appointment_id = parse_public_id(public_id)
    if appointment_id is None:
        return None
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None or not token_matches(
        manage_token, appointment=appointment, keyring=keyring
    ):
        return None
    return appointment


def patient_may_manage(
    appointment: Appointment, *, manage_token: str | None, actor: Actor, keyring: Keyring
) -> bool:
    """Whether the request proved it is the appointment's patient.

    Either proof will do: the appointment's manage token, or a patient token (phone
    sign-in) for the appointment's own phone.
    """
    if actor.patient_phone is not None and actor.patient_phone == appointment.patient_phone:
        return True
    return manage_token is not None and token_matches(
        manage_token, appointment=appointment, keyring=keyring
    )


async def cancel_my_appointment(
    *,
    session: AsyncSession,
    public_id: str,
    manage_token: str | None,
    reason: str | None,
    now: datetime,
    keyring: Keyring,
    actor: Actor,
) -> AppointmentCancelled | NotFound | NotAllowed:
    """The patient cancels, with the manage token or a phone token for the booking's phone."""
    appointment_id = parse_public_id(public_id)
    found = (
        None if appointment_id is None else await _locked(session, Appointment.id == appointment_id)
    )
    if found is None or not patient_may_manage(
        found[0], manage_token=manage_token, actor=actor, keyring=keyring
    ):
        await session.commit()  # releases the row lock; nothing was written
        return NotFound("No appointment with this id and manage token.")
    return await _cancel_one(session, found, AppointmentStatus.CANCELLED_BY_PATIENT, reason, now)


async def _cancel_one(
    session: AsyncSession,
    found: tuple[Appointment, Schedule, Account],
    status: AppointmentStatus,
    reason: str | None,
    now: datetime,
    actor: Actor | None = None,
) -> AppointmentCancelled | NotAllowed:
    """Cancel one locked appointment (with its schedule and doctor) if its session has not
    started, and commit either way; with an actor, the cancellation is audited."""
    appointment, schedule, doctor = found
    starts_at = session_start(schedule, doctor, appointment.session_date)
    if not can_cancel(appointment.status, starts_at=starts_at, now=now):
        await session.commit()  # releases the row lock; nothing was written
        return NotAllowed(_why_not_cancellable(appointment))
    await cancel_booked(
        session,
        [appointment],
        schedule_by_id={schedule.id: schedule},
        doctor=doctor,
        status=status,
        # Stored as sent: the patient reads it in the SMS and on the appointment.
        reason=messages.clean_reason(reason),
        now=now,
    )
    if actor is not None:
        record(
            session,
            actor=actor,
            action=AuditAction.APPOINTMENT_CANCELLED_BY_DOCTOR,
            now=now,
            target_kind=AuditTargetKind.APPOINTMENT,
            target_id=appointment.id,
            # Where and when, not who: the patient's name and phone stay on the appointment.
            details={
                "publicId": appointment.public_id,
                "scheduleId": schedule.id,
                "sessionDate": appointment.session_date.isoformat(),
                "reason": safe_text(reason),
            },
        )
    await session.commit()
    return AppointmentCancelled(appointment)


def _why_not_cancellable(appointment: Appointment) -> str:
    if appointment.status in CANCELLED:
        return "This appointment is already cancelled."
    if appointment.status is not AppointmentStatus.BOOKED:
        return f"This appointment is already {appointment.status.value.lower().replace('_', ' ')}."
    return "The session has started; it can no longer be cancelled."


# The doctor's side: only appointments of the doctor's own schedules exist.


async def session_appointments(
    *, session: AsyncSession, doctor_id: int, schedule_id: int, day: date
) -> list[Appointment]:
    """Everyone booked into one of the doctor's sessions, by queue number, cancelled ones too.

    Patient data: nothing for a suspended doctor (the API refuses them before this).
    """
    found = await session.scalars(
        select(Appointment)
        .join(Schedule, Schedule.id == Appointment.schedule_id)
        .join(Account, Account.id == Schedule.doctor_id)
        .where(
            Appointment.schedule_id == schedule_id,
            Appointment.session_date == day,
            Schedule.doctor_id == doctor_id,
            Account.status != DoctorStatus.SUSPENDED,
        )
        .order_by(Appointment.queue_number)
    )
    return list(found.all())


async def _doctors_own(
    session: AsyncSession, doctor: Account, appointment_id: int
) -> tuple[Appointment, Schedule, Account] | None:
    """One of the doctor's appointments, locked after the doctor's row (None: not theirs)."""
    await lock_doctor(session, doctor)  # step 1 of resolvers/accounts/standing.py
    found = await _locked(
        session, Appointment.id == appointment_id, Schedule.doctor_id == doctor.id
    )
    if found is None:
        await session.commit()  # ends the transaction; nothing was written
    return found


async def cancel_appointment(
    *,
    session: AsyncSession,
    doctor: Account,
    appointment_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
) -> AppointmentCancelled | NotFound | NotAllowed:
    """The doctor cancels a patient's booking; FORBIDDEN once the doctor is suspended. Audited."""
    found = await _doctors_own(session, doctor, appointment_id)
    if found is None:
        return NotFound("No such appointment in your sessions.")
    return await _cancel_one(
        session, found, AppointmentStatus.CANCELLED_BY_DOCTOR, reason, now, actor=actor
    )


async def set_appointment_status(
    *,
    session: AsyncSession,
    doctor: Account,
    appointment_id: int,
    status: AppointmentStatus,
    now: datetime,
) -> AppointmentUpdated | NotFound | NotAllowed:
    """Move an appointment along BOOKED -> ARRIVED -> COMPLETED (or NO_SHOW) at the right time."""
    found = await _doctors_own(session, doctor, appointment_id)
    if found is None:
        return NotFound("No such appointment in your sessions.")
    appointment, schedule, _ = found
    refusal = None
    if appointment.status is not status:
        refusal = _refusal(appointment, status, schedule=schedule, doctor=doctor, now=now)
        if refusal is None:
            previous = appointment.status
            appointment.status = status
            if status is AppointmentStatus.COMPLETED:
                appointment.completed_at = now
            if previous is AppointmentStatus.IN_CONSULTATION:
                await _nobody_inside(session, appointment, now=now)
            await announce(session, SessionKey(appointment.schedule_id, appointment.session_date))
            await enqueue_webhook_events(
                session,
                [
                    appointment_event(
                        WebhookEvent.APPOINTMENT_STATUS_CHANGED,
                        appointment,
                        schedule,
                        doctor,
                        previousStatus=previous.value,
                    )
                ],
                now=now,
            )
    # Commits the change, or releases the row lock after a refusal or a repeat.
    await session.commit()
    return AppointmentUpdated(appointment) if refusal is None else NotAllowed(refusal)


async def _nobody_inside(session: AsyncSession, appointment: Appointment, *, now: datetime) -> None:
    """The session's board no longer shows this patient as the one being served.

    Under the doctor's lock, which every change of the live row takes first.
    """
    await session.execute(
        update(LiveSession)
        .where(
            LiveSession.schedule_id == appointment.schedule_id,
            LiveSession.session_date == appointment.session_date,
            LiveSession.now_serving == appointment.queue_number,
        )
        .values(now_serving=None, updated_at=now)
    )


def _refusal(
    appointment: Appointment,
    status: AppointmentStatus,
    *,
    schedule: Schedule,
    doctor: Account,
    now: datetime,
) -> str | None:
    if status in CANCELLED:
        return "Use cancelAppointment to cancel: it frees the seat and tells the patient."
    if status is AppointmentStatus.IN_CONSULTATION:
        return "Use callNext to call a patient in: it keeps one patient in consultation at a time."
    if status not in _NEXT_STATUSES.get(appointment.status, set()):
        return f"An appointment that is {appointment.status.value} cannot become {status.value}."
    today = today_in(ZoneInfo(doctor.time_zone), now)
    if status is AppointmentStatus.ARRIVED and today < appointment.session_date:
        return "A patient can only arrive on the day of the session."
    started = now >= session_start(schedule, doctor, appointment.session_date)
    if status in (AppointmentStatus.NO_SHOW, AppointmentStatus.COMPLETED) and not started:
        return f"{status.value} is only possible once the session has started."
    return None
