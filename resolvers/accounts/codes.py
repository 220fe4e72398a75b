"""Asking for a one-time code: the phone checked as a form field, then the send (or the limit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpPurpose
from db.models import Appointment, WaitlistEntry
from resolvers.accounts.profiles import FormChecker
from resolvers.platform import otp, otp_budgets
from resolvers.platform.errors import FieldProblem, Problems, RateLimited, ValidationFailed
from resolvers.platform.keys import Keyring
from resolvers.platform.phones import sms_refusal
from settings import Settings


async def request_code(
    *,
    session: AsyncSession,
    phone: str,
    purpose: OtpPurpose,
    now: datetime,
    keyring: Keyring,
    client_address: str,
    settings: Settings,
) -> otp.OtpSent | RateLimited | ValidationFailed:
    """Send a code to ``phone`` for ``purpose``; committed, so the send counts.

    A MANAGE_APPOINTMENTS code is texted only to a phone that has booked (or joined a
    waitlist) at least once; for any other the answer, the limits and the budgets are the
    same and no SMS goes: the answer never tells whether a phone has bookings, and a
    stranger's phone is not texted for nothing.
    """
    form = FormChecker(Problems(), settings.default_country_code)
    e164 = form.phone("phone", phone)
    if e164 and (refusal := sms_refusal(e164, allowed_country_codes=settings.sms_country_codes)):
        form.problems.add("phone", FieldProblem.INVALID_CHOICE, refusal)
    if (invalid := form.problems.result()) is not None:
        return invalid
    return await otp.request_otp(
        session=session,
        phone=e164,
        purpose=purpose,
        now=now,
        keyring=keyring,
        client_address=client_address,
        budgets=otp_budgets.Budgets.from_settings(settings),
        deliver=purpose is not OtpPurpose.MANAGE_APPOINTMENTS or await _has_booked(session, e164),
    )


async def _has_booked(session: AsyncSession, phone: str) -> bool:
    """Whether the phone ever booked or joined a waitlist (one statement, from the indexes)."""
    booked = exists().where(Appointment.patient_phone == phone)
    waiting = exists().where(WaitlistEntry.patient_phone == phone)
    return bool(await session.scalar(select(booked | waiting)))
