"""Asking for a one-time code: the phone checked as a form field, then the send (or the limit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import OtpPurpose
from resolvers.accounts.profiles import FormChecker
from resolvers.platform import otp
from resolvers.platform.errors import Problems, RateLimited, ValidationFailed
from resolvers.platform.keys import Keyring


async def request_code(
    *,
    session: AsyncSession,
    phone: str,
    purpose: OtpPurpose,
    now: datetime,
    keyring: Keyring,
    default_country_code: str,
) -> otp.OtpSent | RateLimited | ValidationFailed:
    """Send a code to ``phone`` for ``purpose``; committed, so the send counts."""
    form = FormChecker(Problems(), default_country_code)
    e164 = form.phone("phone", phone)
    if (invalid := form.problems.result()) is not None:
        return invalid
    result = await otp.request_otp(
        session=session, phone=e164, purpose=purpose, now=now, keyring=keyring
    )
    await session.commit()
    return result
