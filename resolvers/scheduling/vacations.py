"""Vacations: date ranges that block some of a doctor's schedules; a dry run shows who is hit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus, AuditAction, AuditTargetKind, DoctorStatus
from db.models import Account, Appointment, Schedule, Vacation, VacationSchedule
from resolvers.accounts.standing import lock_doctor, refuse_suspended
from resolvers.audit.trail import record, safe_text
from resolvers.booking.appointments import cancel_booked, future_booked
from resolvers.booking.promotion import fill_free_seats
from resolvers.platform import messages
from resolvers.platform.audit import Actor
from resolvers.platform.calendar import check_window, outside_window
from resolvers.platform.errors import (
    BadUserInput,
    FieldProblem,
    NotAllowed,
    NotFound,
    Problems,
    ValidationFailed,
)
from resolvers.platform.text import clean_text

MAX_VACATION_DAYS = 366
# PostgreSQL's exclusion_violation: ex_vacation_schedules_no_overlap refused the row.
EXCLUSION_VIOLATION = "23P01"


@dataclass(frozen=True, slots=True)
class VacationRequest:
    start: date
    end: date
    reason: str | None = None
    schedule_ids: tuple[int, ...] | None = None  # None: all the doctor's active schedules
    cancel_affected: bool = False


@dataclass(frozen=True, slots=True)
class VacationSaved:
    vacation: Vacation
    cancelled_appointments: int


@dataclass(frozen=True, slots=True)
class VacationOverlap:
    existing: list[Vacation]
    message: str = "These dates overlap another vacation of the same schedules."


@dataclass(frozen=True, slots=True)
class VacationDeleted:
    vacation_id: int


def _problems(request: VacationRequest, *, now: datetime) -> ValidationFailed | None:
    problems = Problems()
    for name, day in (("start", request.start), ("end", request.end)):
        if (outside := outside_window(day, now=now)) is not None:
            problems.add(name, FieldProblem.OUT_OF_RANGE, outside)
    if request.end < request.start:
        problems.add("end", FieldProblem.CONFLICT, "The vacation cannot end before it starts.")
    elif (request.end - request.start).days + 1 > MAX_VACATION_DAYS:
        problems.add(
            "end", FieldProblem.OUT_OF_RANGE, f"A vacation spans at most {MAX_VACATION_DAYS} days."
        )
    # The reason reaches the SMS of every patient a vacation cancels.
    if len(clean_text(request.reason) or "") > messages.MAX_REASON:
        problems.add("reason", FieldProblem.TOO_LONG, f"At most {messages.MAX_REASON} characters.")
    if request.schedule_ids is not None and not request.schedule_ids:
        problems.add(
            "scheduleIds",
            FieldProblem.REQUIRED,
            "Choose at least one schedule, or null for all of them.",
        )
    return problems.result()


async def _targets(
    session: AsyncSession, doctor: Account, schedule_ids: tuple[int, ...] | None
) -> list[Schedule] | NotFound | ValidationFailed:
    """The doctor's active schedules the vacation blocks; another doctor's id is NotFound.

    Locked in the order of resolvers/accounts/standing.py: the doctor's row (a
    suspension committed meanwhile refuses the vacation), then the schedules by id.
    """
    await lock_doctor(session, doctor)
    active = (
        await session.scalars(
            select(Schedule)
            .where(Schedule.doctor_id == doctor.id, Schedule.is_active)
            .order_by(Schedule.id)
            # Bookings hold these rows FOR SHARE: ones in flight finish before the vacation
            # (so cancelAffected sees them), later ones wait and then see the vacation.
            .with_for_update(key_share=True)
        )
    ).all()
    if schedule_ids is None:
        if not active:
            problems = Problems()
            problems.add(
                "scheduleIds",
                FieldProblem.NOT_FOUND,
                "You have no active schedules to take a vacation from.",
            )
            return ValidationFailed(tuple(problems.errors))
        return list(active)
    wanted = set(schedule_ids)
    if not wanted <= {schedule.id for schedule in active}:
        return NotFound("No such schedule among your active schedules.")
    return [schedule for schedule in active if schedule.id in wanted]


async def _overlapping(
    session: AsyncSession, schedules: Sequence[Schedule], start: date, end: date
) -> list[Vacation]:
    found = await session.scalars(
        select(Vacation)
        .where(
            Vacation.id.in_(
                select(VacationSchedule.vacation_id).where(
                    VacationSchedule.schedule_id.in_([schedule.id for schedule in schedules])
                )
            ),
            Vacation.start_date <= end,
            Vacation.end_date >= start,
        )
        .order_by(Vacation.start_date, Vacation.id)
    )
    return list(found.all())


async def vacation_impact(
    *, session: AsyncSession, doctor: Account, request: VacationRequest, now: datetime
) -> list[Appointment]:
    """The BOOKED appointments, not yet started, that the vacation would hit (changes nothing).

    Schedule ids that are not the doctor's simply contribute nothing. Patient data:
    a suspended doctor is refused (FORBIDDEN).
    """
    refuse_suspended(doctor)
    check_window(request.start, request.end, now=now)
    if request.end < request.start:
        raise BadUserInput("end must not be before start")
    query = select(Schedule).where(Schedule.doctor_id == doctor.id, Schedule.is_active)
    if request.schedule_ids is not None:
        query = query.where(Schedule.id.in_(request.schedule_ids))
    schedules = (await session.scalars(query)).all()
    return await _hit_by(session, schedules, doctor, request, now=now, lock=False)


async def create_vacation(
    *,
    session: AsyncSession,
    doctor: Account,
    request: VacationRequest,
    actor: Actor,
    now: datetime,
) -> VacationSaved | VacationOverlap | NotFound | NotAllowed | ValidationFailed:
    """Save a vacation; with cancel_affected, cancel the bookings it hits and tell each patient.

    The cancellations are audited (one event for the vacation); a vacation that cancels
    nothing is a doctor's own calendar and is not.
    """
    if doctor.status is not DoctorStatus.ACTIVE:
        return NotAllowed("Your account must be active before you can plan vacations.")
    invalid = _problems(request, now=now)
    if invalid is not None:
        return invalid
    result = await _create(session, doctor, request, actor=actor, now=now)
    # Commits the vacation, or ends the transaction (and its row locks) after a refusal.
    await session.commit()
    return result


async def _create(
    session: AsyncSession, doctor: Account, request: VacationRequest, *, actor: Actor, now: datetime
) -> VacationSaved | VacationOverlap | NotFound | ValidationFailed:
    schedules = await _targets(session, doctor, request.schedule_ids)
    if isinstance(schedules, NotFound | ValidationFailed):
        return schedules
    overlapping = await _overlapping(session, schedules, request.start, request.end)
    if overlapping:
        return VacationOverlap(existing=overlapping)
    reason = clean_text(request.reason)
    vacation = Vacation(
        doctor_id=doctor.id, start_date=request.start, end_date=request.end, reason=reason
    )
    try:
        # A savepoint: when a concurrent request saved an overlapping vacation first,
        # the exclusion constraint refuses ours and only this part is undone.
        async with session.begin_nested():
            session.add(vacation)
            await session.flush()
            period = Range(request.start, request.end, bounds="[]")
            session.add_all(
                VacationSchedule(vacation_id=vacation.id, schedule_id=schedule.id, period=period)
                for schedule in schedules
            )
            await session.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != EXCLUSION_VIOLATION:
            raise
        return VacationOverlap(
            existing=await _overlapping(session, schedules, request.start, request.end)
        )
    cancelled = 0
    if request.cancel_affected:
        booked = await _hit_by(session, schedules, doctor, request, now=now, lock=True)
        cancelled = await cancel_booked(
            session,
            booked,
            schedule_by_id={schedule.id: schedule for schedule in schedules},
            doctor=doctor,
            status=AppointmentStatus.CANCELLED_BY_DOCTOR,
            reason=(
                messages.fill(messages.ON_VACATION_WITH_REASON, reason=reason)
                if reason
                else messages.fill(messages.ON_VACATION)
            ),
            now=now,
        )
    if cancelled:
        record(
            session,
            actor=actor,
            action=AuditAction.APPOINTMENTS_CANCELLED_FOR_VACATION,
            now=now,
            target_kind=AuditTargetKind.VACATION,
            target_id=vacation.id,
            details={
                "start": request.start.isoformat(),
                "end": request.end.isoformat(),
                "scheduleIds": [schedule.id for schedule in schedules],
                "cancelledAppointments": cancelled,
                "reason": safe_text(reason),
            },
        )
    return VacationSaved(vacation=vacation, cancelled_appointments=cancelled)


async def delete_vacation(
    *, session: AsyncSession, doctor: Account, vacation_id: int, now: datetime
) -> VacationDeleted | NotFound:
    """Remove a vacation of the doctor's (its schedule links go with it).

    Under the doctor's lock, like every change of theirs (resolvers/accounts/standing.py).
    Its sessions can be booked again: seats freed while it blocked them go to their
    waitlists first, in this transaction.
    """
    await lock_doctor(session, doctor)
    blocked = (
        await session.scalars(
            select(VacationSchedule.schedule_id)
            .join(Vacation, Vacation.id == VacationSchedule.vacation_id)
            .where(Vacation.id == vacation_id, Vacation.doctor_id == doctor.id)
        )
    ).all()
    deleted = (
        await session.execute(
            delete(Vacation)
            .where(Vacation.id == vacation_id, Vacation.doctor_id == doctor.id)
            .returning(Vacation.id, Vacation.start_date, Vacation.end_date)
        )
    ).first()
    if deleted is not None:
        await fill_free_seats(
            session, schedule_ids=blocked, first=deleted[1], last=deleted[2], now=now
        )
    await session.commit()
    if deleted is None:
        return NotFound("No such vacation of yours.")
    return VacationDeleted(vacation_id=deleted[0])


async def _hit_by(
    session: AsyncSession,
    schedules: Sequence[Schedule],
    doctor: Account,
    request: VacationRequest,
    *,
    now: datetime,
    lock: bool,
) -> list[Appointment]:
    """The future BOOKED appointments of these schedules inside the vacation's dates."""
    return await future_booked(
        session,
        schedules=schedules,
        doctor=doctor,
        now=now,
        start=request.start,
        end=request.end,
        lock=lock,
    )
