"""A walk-in: a patient the doctor adds at the chamber, ARRIVED, on the next queue number.

The number comes from the session's seat counter (the booking's own upsert), so
walk-ins and online bookings racing for the last seats never exceed the limit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AppointmentStatus
from db.models import Account, Appointment
from resolvers.booking.book import MAX_NAME, take_seat
from resolvers.booking.manage_tokens import hash_token
from resolvers.booking.results import SessionFull
from resolvers.booking.sessions import current_occurrence
from resolvers.live.access import OwnSession, own_session
from resolvers.live.results import AddWalkInResult, WalkInAdded
from resolvers.platform.changes import announce
from resolvers.platform.errors import FieldProblem, Problems, ValidationFailed
from resolvers.platform.phones import normalize_phone
from resolvers.platform.text import single_line


@dataclass(frozen=True, slots=True)
class WalkIn:
    schedule_id: int
    day: date
    patient_name: str
    patient_age: int
    patient_phone: str | None = None


def _checked(walk_in: WalkIn, *, default_country_code: str) -> WalkIn | ValidationFailed:
    problems = Problems()
    name = single_line(walk_in.patient_name)
    if not name:
        problems.add("patientName", FieldProblem.REQUIRED, "The patient's name is required.")
    elif len(name) > MAX_NAME:
        problems.add("patientName", FieldProblem.TOO_LONG, f"At most {MAX_NAME} characters.")
    if not 0 <= walk_in.patient_age <= 130:
        problems.add("patientAge", FieldProblem.OUT_OF_RANGE, "Age must be between 0 and 130.")
    phone = None
    if walk_in.patient_phone is not None and walk_in.patient_phone.strip():
        phone = normalize_phone(walk_in.patient_phone, default_country_code=default_country_code)
        if phone is None:
            problems.add(
                "patientPhone", FieldProblem.INVALID_FORMAT, "This is not a valid phone number."
            )
    failed = problems.result()
    if failed is not None:
        return failed
    return WalkIn(walk_in.schedule_id, walk_in.day, name, walk_in.patient_age, phone)


async def add_walk_in(
    *,
    session: AsyncSession,
    doctor: Account,
    walk_in: WalkIn,
    now: datetime,
    default_country_code: str,
) -> AddWalkInResult:
    """Add a walk-in on the session's day (before or while it runs): ARRIVED, next number.

    A walk-in gets no manage token (nobody proved the phone, if any): they follow the
    board at the chamber.
    """
    checked = _checked(walk_in, default_country_code=default_country_code)
    if isinstance(checked, ValidationFailed):
        return checked
    own = await own_session(
        session, doctor=doctor, schedule_id=checked.schedule_id, day=checked.day, now=now
    )
    if not isinstance(own, OwnSession):
        return own
    refusal = own.cannot_start(now)
    if refusal is not None:
        return await own.refuse(session, refusal)
    seat = await take_seat(session, own.schedule, own.day)
    if seat is None:
        await own.savepoint.rollback()
        full = await current_occurrence(
            session, schedule=own.schedule, zone=own.zone, day=own.day, now=now
        )
        await session.commit()
        return SessionFull(session=full)
    queue_number, _ = seat
    appointment = Appointment(
        schedule_id=own.schedule.id,
        session_date=own.day,
        queue_number=queue_number,
        patient_name=checked.patient_name,
        patient_age=checked.patient_age,
        patient_phone=checked.patient_phone,
        status=AppointmentStatus.ARRIVED,
        is_walk_in=True,
        # An unusable token: its secret is never kept or shown.
        manage_token_hash=hash_token(secrets.token_urlsafe(32)),
        created_at=now,
    )
    session.add(appointment)
    own.live.updated_at = now
    await session.flush()
    await announce(session, own.key)
    await own.commit(session)
    return WalkInAdded(appointment)
