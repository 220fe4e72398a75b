"""Test helpers for doctors' scheduling: a signed-in doctor, and what the outbox holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import DoctorStatus
from db.models import Account, Notification
from resolvers.platform.clock import FixedClock
from settings import Settings
from tests.accounts_support import token_for
from tests.factories import make_doctor


async def signed_in_doctor(
    session: AsyncSession,
    *,
    settings: Settings,
    clock: FixedClock,
    status: DoctorStatus = DoctorStatus.ACTIVE,
    **overrides: Any,
) -> tuple[Account, str]:
    """A committed doctor and a bearer token for them."""
    doctor = await make_doctor(session, status=status, **overrides)
    await session.commit()
    return doctor, token_for(doctor, settings=settings, clock=clock)


async def sms_to(session: AsyncSession, phone: str | None) -> list[str]:
    """Bodies of the SMS queued for a phone, oldest first."""
    bodies = await session.scalars(
        select(Notification.body).where(Notification.recipient == phone).order_by(Notification.id)
    )
    return list(bodies.all())
