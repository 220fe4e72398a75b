"""Test helpers for the waitlist: the patients operations, full sessions, entries in line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode, parse, print_ast
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import WaitlistStatus
from db.models import Account, Appointment, Schedule, WaitlistEntry
from resolvers.booking.manage_tokens import derive_entry_token, hash_token, new_salt
from resolvers.platform.keys import keyring_of
from settings import Settings
from tests.factories import make_appointment, make_doctor, make_schedule
from tests.operations import OPERATIONS_DIR

PATIENTS = OPERATIONS_DIR / "patients"
# A Thursday two days after the tests' fixed "now" (Tuesday 1 December, 09:00 in Kolkata):
# booking is open, and closes at 16:00 local (2 hours before the 18:00 start).
DEC_3 = date(2026, 12, 3)
APPOINTMENT_TOKEN = "test-manage-token"


@cache
def patients_operation(name: str) -> str:
    """One named operation of the frontend's patients set, as the frontend sends it."""
    for definition in parse((PATIENTS / "patients.graphql").read_text()).definitions:
        if (
            isinstance(definition, OperationDefinitionNode)
            and definition.name is not None
            and definition.name.value == name
        ):
            return print_ast(DocumentNode(definitions=(definition,)))
    raise KeyError(f"no operation named {name} in {PATIENTS}")


def patients_variables(name: str) -> dict[str, Any]:
    """The frontend's example variables for a patients operation (a fresh copy)."""
    examples: dict[str, Any] = json.loads((PATIENTS / "variables.json").read_text())
    return dict(examples[name])


def joining(schedule: Schedule, day: date, **changes: Any) -> dict[str, Any]:
    """The frontend's JoinWaitlist variables for a schedule and date, with changes."""
    values = dict(patients_variables("JoinWaitlist")["input"])
    values.update(scheduleId=str(schedule.id), date=day.isoformat())
    values.update(changes)
    return {"input": values}


@dataclass
class FullSession:
    doctor: Account
    schedule: Schedule
    day: date
    booked: list[Appointment]


async def full_session(
    session: AsyncSession,
    *,
    seats: int = 2,
    day: date = DEC_3,
    doctor: Account | None = None,
    **schedule: Any,
) -> FullSession:
    """A session of an active doctor (a new one unless given) with every seat booked."""
    doctor = doctor or await make_doctor(session, name="Dr. Asha Rao")
    made = await make_schedule(session, doctor, patient_limit=seats, **schedule)
    booked = [
        await make_appointment(session, made, day, manage_token=APPOINTMENT_TOKEN)
        for _ in range(seats)
    ]
    return FullSession(doctor=doctor, schedule=made, day=day, booked=booked)


async def make_entry(
    session: AsyncSession,
    schedule: Schedule,
    day: date,
    *,
    settings: Settings,
    **overrides: Any,
) -> tuple[WaitlistEntry, str]:
    """A WAITING entry as joining would leave it, and its manage token."""
    salt = new_salt()
    values: dict[str, Any] = {
        "schedule_id": schedule.id,
        "session_date": day,
        "patient_name": "Waiting Patient",
        "patient_age": 40,
        "patient_phone": "+919830099999",
        "status": WaitlistStatus.WAITING,
        "manage_token_hash": "",
        "manage_token_salt": salt,
    }
    values.update(overrides)
    entry = WaitlistEntry(**values)
    session.add(entry)
    await session.flush()
    token = derive_entry_token(key=keyring_of(settings).current, entry_id=entry.id, salt=salt)
    entry.manage_token_hash = hash_token(token)
    await session.flush()
    return entry, token


async def entries_of(session: AsyncSession) -> list[WaitlistEntry]:
    """Every entry as stored now, in id order (a fresh read)."""
    query = (
        select(WaitlistEntry).order_by(WaitlistEntry.id).execution_options(populate_existing=True)
    )
    return list((await session.scalars(query)).all())
