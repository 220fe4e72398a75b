"""One-time passwords: 6 digits, hashed, 10 minutes, 5 tries, single use, per phone and purpose.

Limits live in PostgreSQL so they hold across workers and servers: sends to one
phone are serialised by a transaction-level advisory lock, then counted; then the
send spends the hourly budgets of its client address, phone prefix and the service
(otp_budgets.py).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import NotificationChannel, OtpPurpose
from db.models import OtpChallenge
from resolvers.platform import otp_budgets
from resolvers.platform.errors import RateLimited
from resolvers.platform.keys import Key, Keyring
from resolvers.platform.outbox import enqueue
from resolvers.platform.phones import calling_code

CODE_TTL = timedelta(minutes=10)
MAX_WRONG_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
HOURLY_LIMIT = 5
WINDOW = timedelta(hours=1)

_PURPOSE_TEXT = {
    OtpPurpose.REGISTER_DOCTOR: "to register as a doctor",
    OtpPurpose.RESET_PASSWORD: "to reset your password",
    OtpPurpose.BOOK_APPOINTMENT: "to confirm your booking",
    OtpPurpose.MANAGE_APPOINTMENTS: "to manage your appointments",
}


@dataclass(frozen=True, slots=True)
class OtpSent:
    phone: str
    expires_at: datetime
    resend_available_at: datetime


def hash_code(*, key: Key, phone: str, purpose: OtpPurpose, code: str) -> str:
    # Keyed with the server secret: a leaked table alone cannot be brute-forced
    # through the million possible codes.
    return key.mac(f"{phone}:{purpose.value}:{code}").hex()


async def request_otp(
    *,
    session: AsyncSession,
    phone: str,
    purpose: OtpPurpose,
    now: datetime,
    keyring: Keyring,
    client_address: str,
    budgets: otp_budgets.Budgets,
    deliver: bool = True,
) -> OtpSent | RateLimited:
    """Create a challenge and queue its SMS, unless a limit or budget refuses it.

    Commits the send; a refusal is rolled back, so it spends no budget. With ``deliver``
    false everything happens (the challenge, the limits, the budgets, the answer) except
    the SMS: the caller decided the phone has nothing to receive a code for, and must not
    be able to tell from the answer.
    """
    refusal = await _send(
        session=session,
        phone=phone,
        purpose=purpose,
        now=now,
        keyring=keyring,
        client_address=client_address,
        budgets=budgets,
        deliver=deliver,
    )
    if isinstance(refusal, OtpSent):
        await session.commit()
        return refusal
    await session.rollback()
    if isinstance(refusal, otp_budgets.Exhausted):
        await otp_budgets.note_exhausted(session, refusal, now=now)
        return RateLimited(retry_after=refusal.retry_after, message=refusal.message)
    return refusal


async def _send(
    *,
    session: AsyncSession,
    phone: str,
    purpose: OtpPurpose,
    now: datetime,
    keyring: Keyring,
    client_address: str,
    budgets: otp_budgets.Budgets,
    deliver: bool,
) -> OtpSent | RateLimited | otp_budgets.Exhausted:
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("otp:" + phone))))
    recent = (
        (
            await session.execute(
                select(OtpChallenge.created_at)
                .where(OtpChallenge.phone == phone, OtpChallenge.created_at > now - WINDOW)
                .order_by(OtpChallenge.created_at.desc())
            )
        )
        .scalars()
        .all()
    )
    if recent and recent[0] + RESEND_INTERVAL > now:
        wait = recent[0] + RESEND_INTERVAL - now
        return RateLimited(
            retry_after=_seconds(wait), message="A code was sent less than a minute ago."
        )
    if len(recent) >= HOURLY_LIMIT:
        wait = recent[HOURLY_LIMIT - 1] + WINDOW - now
        return RateLimited(
            retry_after=_seconds(wait), message="Too many codes for this phone in the last hour."
        )
    exhausted = await otp_budgets.spend(
        session,
        client_address=client_address,
        prefix=otp_budgets.prefix_key(
            phone, calling_code=calling_code(phone), digits=budgets.prefix_digits
        ),
        now=now,
        budgets=budgets,
    )
    if exhausted is not None:
        return exhausted
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        OtpChallenge(
            phone=phone,
            purpose=purpose,
            code_hash=hash_code(key=keyring.current, phone=phone, purpose=purpose, code=code),
            expires_at=now + CODE_TTL,
            created_at=now,
        )
    )
    if deliver:
        enqueue(
            session,
            channel=NotificationChannel.SMS,
            recipient=phone,
            body=f"{code} is your MediMyth code {_PURPOSE_TEXT[purpose]}."
            " It expires in 10 minutes.",
            now=now,
        )
    return OtpSent(
        phone=phone, expires_at=now + CODE_TTL, resend_available_at=now + RESEND_INTERVAL
    )


async def verify_otp(
    *,
    session: AsyncSession,
    phone: str,
    purpose: OtpPurpose,
    code: str,
    now: datetime,
    keyring: Keyring,
) -> bool:
    """Check the newest live code of (phone, purpose); consume it when right, count a miss when not.

    The caller must commit after a miss too (the attempt must count), and may
    roll back after a hit when the rest of its work fails: the code then stays
    usable for a retry until it expires.
    """
    challenge = await session.scalar(
        select(OtpChallenge)
        .where(
            OtpChallenge.phone == phone,
            OtpChallenge.purpose == purpose,
            OtpChallenge.consumed_at.is_(None),
            OtpChallenge.expires_at > now,
        )
        .order_by(OtpChallenge.created_at.desc(), OtpChallenge.id.desc())
        .limit(1)
        .with_for_update()
    )
    if challenge is None or challenge.attempts >= MAX_WRONG_ATTEMPTS:
        return False
    # A code sent before a key rotation was hashed with a key now listed as previous.
    if (
        keyring.matching_key(
            challenge.code_hash,
            lambda key: hash_code(key=key, phone=phone, purpose=purpose, code=code.strip()),
        )
        is not None
    ):
        challenge.consumed_at = now
        await session.flush()
        return True
    challenge.attempts += 1
    await session.flush()
    return False


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
