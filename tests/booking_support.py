"""Test helpers for booking: a known BOOK_APPOINTMENT code, and the frontend's booking input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpPurpose
from db.models import OtpChallenge, Schedule
from resolvers.platform.clock import FixedClock
from resolvers.platform.keys import keyring_of
from resolvers.platform.otp import CODE_TTL, hash_code
from settings import Settings
from tests.operations import example_variables

CODE = "123456"


async def give_code(
    session: AsyncSession,
    phone: str,
    *,
    settings: Settings,
    clock: FixedClock,
    code: str = CODE,
    purpose: OtpPurpose = OtpPurpose.BOOK_APPOINTMENT,
) -> str:
    """An unused code for the phone (E.164), as if requestOtp had texted it a moment ago."""
    session.add(
        OtpChallenge(
            phone=phone,
            purpose=purpose,
            code_hash=hash_code(
                key=keyring_of(settings).current, phone=phone, purpose=purpose, code=code
            ),
            expires_at=clock.now() + CODE_TTL,
            created_at=clock.now() - timedelta(seconds=1),
        )
    )
    await session.flush()
    return code


def booking(schedule: Schedule, day: date, **changes: Any) -> dict[str, Any]:
    """The frontend's BookAppointment variables for a schedule and date, with changes."""
    values = example_variables("BookAppointment")["input"]
    values.update(scheduleId=str(schedule.id), date=day.isoformat(), idempotencyKey=None)
    values.update(changes)
    return {"input": values}
