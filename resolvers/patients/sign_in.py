"""Phone sign-in: a MANAGE_APPOINTMENTS code for a phone becomes a short-lived patient token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpPurpose
from resolvers.accounts.profiles import FormChecker
from resolvers.patients.tokens import PatientToken, issue_patient_token
from resolvers.platform.errors import OtpInvalid, Problems, ValidationFailed
from resolvers.platform.keys import Keyring
from resolvers.platform.otp import verify_otp
from settings import Settings


@dataclass(frozen=True, slots=True)
class PhoneVerified:
    token: PatientToken


async def verify_phone(
    *,
    session: AsyncSession,
    phone: str,
    otp_code: str,
    now: datetime,
    keyring: Keyring,
    settings: Settings,
) -> PhoneVerified | OtpInvalid | ValidationFailed:
    """The token for the phone when the code is its newest MANAGE_APPOINTMENTS code.

    Committed either way: a right code is used up, a wrong one counts as an attempt.
    Whether the phone has any booking is not said (an empty list says it, to its owner).
    """
    form = FormChecker(Problems(), settings.default_country_code)
    e164 = form.phone("phone", phone)
    if (invalid := form.problems.result()) is not None:
        return invalid
    verified = await verify_otp(
        session=session,
        phone=e164,
        purpose=OtpPurpose.MANAGE_APPOINTMENTS,
        code=otp_code,
        now=now,
        keyring=keyring,
    )
    await session.commit()
    if not verified:
        return OtpInvalid()
    ttl = timedelta(minutes=settings.patient_token_ttl_minutes)
    return PhoneVerified(issue_patient_token(keyring=keyring, phone=e164, now=now, ttl=ttl))
