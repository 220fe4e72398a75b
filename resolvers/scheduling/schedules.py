"""Schedules: create for several weekdays, update with conflict checks, deactivate."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import (
    AppointmentStatus,
    AuditAction,
    AuditTargetKind,
    DoctorStatus,
    NotificationChannel,
)
from db.models import Account, Schedule
from resolvers.accounts.standing import lock_doctor
from resolvers.audit.trail import record, safe_text
from resolvers.booking.appointments import cancel_booked, future_booked
from resolvers.booking.promotion import fill_free_seats
from resolvers.booking.wording import describe_session
from resolvers.platform import messages
from resolvers.platform.audit import Actor
from resolvers.platform.calendar import Slot, WeeklyPattern, find_conflicts, slot_of
from resolvers.platform.errors import (
    FieldError,
    FieldProblem,
    NotAllowed,
    NotFound,
    Problems,
    ValidationFailed,
)
from resolvers.platform.outbox import enqueue
from resolvers.scheduling.schedule_fields import (
    ScheduleFields,
    SchedulePatch,
    apply,
    fields_of,
    time_or_place,
    validate,
)


@dataclass(frozen=True, slots=True)
class ConflictingWeek:
    """A (weekday, week) that could not be created: it collides with an existing schedule.

    ``week`` is None when both run every week.
    """

    weekday: int
    week: int | None
    existing: Schedule


@dataclass(frozen=True, slots=True)
class SchedulesCreated:
    created: list[Schedule]
    conflicts: list[ConflictingWeek]


@dataclass(frozen=True, slots=True)
class ScheduleConflict:
    conflicts_with: list[Schedule]
    message: str = "The schedule would overlap another of your schedules."


@dataclass(frozen=True, slots=True)
class ScheduleUpdated:
    schedule: Schedule
    notified_appointments: int


@dataclass(frozen=True, slots=True)
class ScheduleDeleted:
    schedule_id: int
    cancelled_appointments: int


def _slot(weekday: int, fields: ScheduleFields) -> Slot:
    return Slot(
        WeeklyPattern(weekday, frozenset(fields.weeks_of_month)), fields.start_time, fields.end_time
    )


async def _lock_and_load(session: AsyncSession, doctor: Account) -> list[Schedule]:
    """Serialise the doctor's changes (so two requests cannot both pass the conflict check),
    then lock and read the doctor's active schedules, by weekday and start time.

    The lock order of resolvers/accounts/standing.py: the doctor's row (a suspension
    committed meanwhile refuses the change), then the schedules in id order.
    """
    await lock_doctor(session, doctor)
    found = await session.scalars(
        select(Schedule)
        .where(Schedule.doctor_id == doctor.id, Schedule.is_active)
        .order_by(Schedule.id)
        # Row locks too: bookings in flight (FOR SHARE) finish first, later ones wait.
        .with_for_update(key_share=True)
    )
    return sorted(found.all(), key=lambda s: (s.weekday, s.start_time, s.id))


async def create_schedules(
    *,
    session: AsyncSession,
    doctor: Account,
    weekdays: Sequence[int],
    fields: ScheduleFields,
    all_or_nothing: bool,
    default_country_code: str,
) -> SchedulesCreated | NotAllowed | ValidationFailed:
    """One schedule per weekday, each with the same weeks, times and place.

    All-or-nothing (the default) creates none when any weekday conflicts;
    otherwise the weekdays that fit are created. Conflicts are listed either way.
    """
    if doctor.status is not DoctorStatus.ACTIVE:
        return NotAllowed("Your account must be active before you can publish schedules.")
    problems = Problems()
    if not weekdays:
        problems.add("weekdays", FieldProblem.REQUIRED, "Choose at least one weekday.")
    elif len(set(weekdays)) != len(weekdays):
        problems.add("weekdays", FieldProblem.DUPLICATE, "A weekday is listed twice.")
    checked = validate(fields, default_country_code=default_country_code)
    if isinstance(checked, ValidationFailed) or problems.errors:
        errors = [
            *problems.errors,
            *(checked.errors if isinstance(checked, ValidationFailed) else ()),
        ]
        return ValidationFailed(tuple(errors))
    existing = await _lock_and_load(session, doctor)
    by_id = {schedule.id: schedule for schedule in existing}
    slots = [(schedule.id, slot_of(schedule)) for schedule in existing]
    conflicts: list[ConflictingWeek] = []
    fitting: list[int] = []
    for weekday in weekdays:
        found = find_conflicts(_slot(weekday, checked), slots)
        conflicts.extend(ConflictingWeek(c.weekday, c.week, by_id[c.existing_id]) for c in found)
        if not found:
            fitting.append(weekday)
    if conflicts and all_or_nothing:
        await session.commit()  # nothing written: ends the transaction and its lock
        return SchedulesCreated(created=[], conflicts=conflicts)
    created = [
        Schedule(
            doctor_id=doctor.id,
            weekday=weekday,
            weeks_of_month=list(checked.weeks_of_month),
            start_time=checked.start_time,
            end_time=checked.end_time,
            booking_opens_days_before=checked.booking_opens_days_before,
            booking_closes_hours_before=checked.booking_closes_hours_before,
            fee=checked.fee,
            patient_limit=checked.patient_limit,
            consult_minutes=checked.consult_minutes,
            clinic_name=checked.clinic_name,
            medical_shop=checked.medical_shop,
            address=checked.address,
            contact_phone=checked.contact_phone,
        )
        for weekday in fitting
    ]
    session.add_all(created)
    await session.commit()
    return SchedulesCreated(created=created, conflicts=conflicts)


@asynccontextmanager
async def _then_commit(session: AsyncSession) -> AsyncIterator[None]:
    """Commit when the block ends with an answer; an exception leaves the rollback to the close."""
    yield
    await session.commit()


async def update_schedule(
    *,
    session: AsyncSession,
    doctor: Account,
    schedule_id: int,
    patch: SchedulePatch,
    now: datetime,
    default_country_code: str,
) -> ScheduleUpdated | ScheduleConflict | NotFound | ValidationFailed:
    """Replace a schedule's fields (not its weekday) and tell booked patients what moved.

    Patients booked into sessions that have not started get an SMS when the time
    or the place changes. Weeks that would drop a date someone is booked on are
    refused: the doctor cancels those bookings first, knowingly.
    """
    # Commits the change, or just ends the transaction (and its locks) after a refusal.
    async with _then_commit(session):
        existing = await _lock_and_load(session, doctor)
        schedule = next((s for s in existing if s.id == schedule_id), None)
        if schedule is None:
            return NotFound("No such schedule among your active schedules.")
        checked = validate(
            patch.applied_to(fields_of(schedule)), default_country_code=default_country_code
        )
        if isinstance(checked, ValidationFailed):
            return checked
        others = [(s.id, slot_of(s)) for s in existing if s.id != schedule.id]
        clashes = {c.existing_id for c in find_conflicts(_slot(schedule.weekday, checked), others)}
        if clashes:
            return ScheduleConflict(conflicts_with=[s for s in existing if s.id in clashes])
        booked = await future_booked(session, schedules=[schedule], doctor=doctor, now=now)
        pattern = WeeklyPattern(schedule.weekday, frozenset(checked.weeks_of_month))
        stranded = sorted({a.session_date for a in booked if not pattern.falls_on(a.session_date)})
        if stranded:
            days = ", ".join(day.isoformat() for day in stranded)
            message = f"Patients are booked on {days}, which these weeks leave out; cancel first."
            return ValidationFailed((FieldError("weeksOfMonth", FieldProblem.CONFLICT, message),))
        moved = time_or_place(fields_of(schedule)) != time_or_place(checked)
        previous_limit = schedule.patient_limit
        apply(schedule, checked)
        limit = schedule.patient_limit
        if previous_limit is not None and (limit is None or limit > previous_limit):
            # More seats: the waitlists' first entries take them in this transaction.
            await fill_free_seats(session, schedule_ids=[schedule.id], now=now)
        if moved:
            for appointment in booked:
                if appointment.patient_phone is None:  # a walk-in, never BOOKED
                    continue
                enqueue(
                    session,
                    channel=NotificationChannel.SMS,
                    recipient=appointment.patient_phone,
                    body=messages.fill(
                        messages.SESSION_CHANGED,
                        public_id=appointment.public_id,
                        queue_number=appointment.queue_number,
                        session=describe_session(schedule, doctor, appointment.session_date),
                    ),
                    now=now,
                )
        await session.flush()
        return ScheduleUpdated(schedule=schedule, notified_appointments=len(booked) if moved else 0)


async def delete_schedule(
    *,
    session: AsyncSession,
    doctor: Account,
    schedule_id: int,
    reason: str | None,
    actor: Actor,
    now: datetime,
) -> ScheduleDeleted | NotFound:
    """Deactivate the schedule (history stays), cancel its future bookings, tell each patient.

    Audited, with how many bookings it cancelled.
    """
    existing = await _lock_and_load(session, doctor)
    schedule = next((s for s in existing if s.id == schedule_id), None)
    if schedule is None:
        await session.commit()  # nothing written: ends the transaction and its lock
        return NotFound("No such schedule among your active schedules.")
    schedule.is_active = False
    schedule.deactivated_at = now
    booked = await future_booked(session, schedules=[schedule], doctor=doctor, now=now)
    cancelled = await cancel_booked(
        session,
        booked,
        schedule_by_id={schedule.id: schedule},
        doctor=doctor,
        status=AppointmentStatus.CANCELLED_BY_DOCTOR,
        # DeleteScheduleResult has no ValidationFailed: a longer reason is cut, not refused.
        reason=messages.clean_reason(reason) or "The doctor no longer holds this session.",
        now=now,
    )
    record(
        session,
        actor=actor,
        action=AuditAction.SCHEDULE_DELETED,
        now=now,
        target_kind=AuditTargetKind.SCHEDULE,
        target_id=schedule.id,
        details={"cancelledAppointments": cancelled, "reason": safe_text(reason)},
    )
    await session.commit()
    return ScheduleDeleted(schedule_id=schedule.id, cancelled_appointments=cancelled)
