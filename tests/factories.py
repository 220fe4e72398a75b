"""Builders for test data: each inserts one realistic row, with overrides, and flushes."""

from __future__ import annotations

import itertools
from datetime import date, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, DoctorStatus
from db.models import (
    Account,
    Appointment,
    Category,
    Schedule,
    SessionSeats,
    Vacation,
    VacationSchedule,
)
from resolvers.accounts.passwords import hash_password
from resolvers.booking.manage_tokens import hash_token

_sequence = itertools.count(1)
# Hashing with Argon2 is slow on purpose; tests share one hash per password.
_hashes: dict[str, str] = {}
DEFAULT_PASSWORD = "correct horse battery 9"


def password_hash(password: str = DEFAULT_PASSWORD) -> str:
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


async def make_category(session: AsyncSession, name: str | None = None) -> Category:
    category = Category(name=name or f"Specialty {next(_sequence)}")
    session.add(category)
    await session.flush()
    return category


async def make_doctor(
    session: AsyncSession,
    *,
    status: DoctorStatus = DoctorStatus.ACTIVE,
    category: Category | None = None,
    **overrides: Any,
) -> Account:
    n = next(_sequence)
    values: dict[str, Any] = {
        "role": AccountRole.DOCTOR,
        "email": f"doctor{n}@example.org",
        "password_hash": password_hash(),
        "status": status,
        "name": f"Dr. Test {n}",
        "phone": f"+9198{n:08d}",
        "registration_number": f"REG-{n}",
        "address": f"{n} Test Road",
        "city": "Kolkata",
        "description": "General practice",
        "category_id": category.id if category else None,
        "category_label": None if category else "General",
        "time_zone": "Asia/Kolkata",
    }
    values.update(overrides)
    doctor = Account(**values)
    session.add(doctor)
    await session.flush()
    if status is DoctorStatus.ACTIVE and doctor.public_number is None:
        doctor.public_number = await session.scalar(
            select(func.nextval("doctor_public_number_seq"))
        )
        await session.flush()
    return doctor


async def make_admin(session: AsyncSession, *, email: str = "admin@example.org") -> Account:
    admin = Account(
        role=AccountRole.ADMIN,
        status=DoctorStatus.ACTIVE,
        email=email,
        password_hash=password_hash(),
        name="Admin",
        time_zone="Asia/Kolkata",
    )
    session.add(admin)
    await session.flush()
    return admin


async def make_schedule(session: AsyncSession, doctor: Account, **overrides: Any) -> Schedule:
    values: dict[str, Any] = {
        "doctor_id": doctor.id,
        "weekday": 3,
        "weeks_of_month": [],
        "start_time": time(18, 0),
        "end_time": time(20, 0),
        "fee": 500,
        "patient_limit": 10,
        "clinic_name": "Test Clinic",
        "address": "12 Park Street",
    }
    values.update(overrides)
    schedule = Schedule(**values)
    session.add(schedule)
    await session.flush()
    return schedule


async def make_appointment(
    session: AsyncSession,
    schedule: Schedule,
    session_date: date,
    *,
    manage_token: str = "test-manage-token",
    **overrides: Any,
) -> Appointment:
    """A booking as the booking flow would leave it: the next queue number, a seat taken."""
    seats = await session.get(SessionSeats, (schedule.id, session_date))
    if seats is None:
        seats = SessionSeats(
            schedule_id=schedule.id, session_date=session_date, booked_count=0, last_queue_number=0
        )
        session.add(seats)
    seats.booked_count += 1
    seats.last_queue_number += 1
    n = next(_sequence)
    values: dict[str, Any] = {
        "schedule_id": schedule.id,
        "session_date": session_date,
        "queue_number": seats.last_queue_number,
        "patient_name": f"Patient {n}",
        "patient_age": 30,
        "patient_phone": f"+9197{n:08d}",
        "manage_token_hash": hash_token(manage_token),
    }
    values.update(overrides)
    appointment = Appointment(**values)
    session.add(appointment)
    await session.flush()
    return appointment


async def make_vacation(
    session: AsyncSession,
    doctor: Account,
    start: date,
    end: date,
    *,
    schedules: list[Schedule],
    reason: str | None = "Holiday",
) -> Vacation:
    """A vacation of the doctor's blocking the given schedules (inclusive dates)."""
    vacation = Vacation(doctor_id=doctor.id, start_date=start, end_date=end, reason=reason)
    session.add(vacation)
    await session.flush()
    session.add_all(
        VacationSchedule(
            vacation_id=vacation.id,
            schedule_id=schedule.id,
            period=Range(start, end, bounds="[]"),
        )
        for schedule in schedules
    )
    await session.flush()
    return vacation
