"""Signing in, changing and resetting passwords, within the login limits (login_limits.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AuditAction, AuditTargetKind, OtpPurpose
from db.models import Account, LoginAttempt
from resolvers.accounts.login_limits import lock_attempts, login_limit
from resolvers.accounts.passwords import hash_password, needs_rehash, verify_password
from resolvers.accounts.profiles import MAX_EMAIL_LENGTH, FormChecker, clean_email
from resolvers.accounts.tokens import AccessToken, issue_token
from resolvers.audit.trail import record
from resolvers.platform.audit import Actor
from resolvers.platform.errors import (
    FieldProblem,
    NotFound,
    OtpInvalid,
    Problems,
    RateLimited,
    ValidationFailed,
)
from resolvers.platform.keys import keyring_of
from resolvers.platform.otp import verify_otp
from settings import Settings


@dataclass(frozen=True, slots=True)
class Authenticated:
    account: Account
    token: AccessToken


@dataclass(frozen=True, slots=True)
class InvalidCredentials:
    message: str = "The email or password is wrong."


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    message: str = "Your password was changed; sign in with the new one."


def authenticated(account: Account, *, now: datetime, settings: Settings) -> Authenticated:
    token = issue_token(
        keyring=keyring_of(settings),
        account_id=account.id,
        role=account.role,
        version=account.token_version,
        now=now,
        ttl=timedelta(minutes=settings.access_token_ttl_minutes),
    )
    return Authenticated(account=account, token=token)


async def login(
    *,
    session: AsyncSession,
    email: str,
    password: str,
    client_address: str,
    actor: Actor,
    now: datetime,
    settings: Settings,
) -> Authenticated | InvalidCredentials | RateLimited:
    """Check the password of the account with this email, within the limits. Commits.

    Audited: a success as the account, a failure as anonymous (a limited try, refused
    before the password is checked, writes nothing, as it records no attempt either).
    """
    address = email_key(email)
    await lock_attempts(session, email=address, client_address=client_address)
    limited = await login_limit(
        session=session, email=address, client_address=client_address, now=now
    )
    if limited is not None:
        await session.rollback()
        return limited
    account = await session.scalar(select(Account).where(func.lower(Account.email) == address))
    # A missing account costs a hash check too, so timing does not tell which emails exist.
    stored = account.password_hash if account is not None else _dummy_hash()
    valid = await asyncio.to_thread(verify_password, stored, password) and account is not None
    session.add(
        LoginAttempt(email=address, client_ip=client_address, succeeded=valid, created_at=now)
    )
    if account is None or not valid:
        record(
            session,
            actor=actor,
            action=AuditAction.LOGIN_FAILED,
            now=now,
            target_kind=None if account is None else AuditTargetKind.ACCOUNT,
            target_id=None if account is None else account.id,
            # The email only when it names nobody: otherwise the target says who it was.
            details={"reason": "WRONG_PASSWORD"}
            if account is not None
            else {"reason": "NO_SUCH_ACCOUNT", "email": address},
        )
        await session.commit()
        return InvalidCredentials()
    record(
        session,
        actor=actor.as_account(account),
        action=AuditAction.LOGIN_SUCCEEDED,
        now=now,
        target_kind=AuditTargetKind.ACCOUNT,
        target_id=account.id,
    )
    if needs_rehash(account.password_hash):
        account.password_hash = await asyncio.to_thread(hash_password, password)
    await session.commit()
    return authenticated(account, now=now, settings=settings)


async def change_password(
    *,
    session: AsyncSession,
    account_id: int,
    current_password: str,
    new_password: str,
    client_address: str,
    actor: Actor,
    now: datetime,
    settings: Settings,
) -> Authenticated | InvalidCredentials | ValidationFailed:
    """Replace the password after checking the current one; older tokens stop working. Commits."""
    form = FormChecker(Problems(), settings.default_country_code)
    if form.password("newPassword", new_password) and new_password == current_password:
        form.problems.add(
            "newPassword",
            FieldProblem.CONFLICT,
            "Choose a password different from the current one.",
        )
    if (invalid := form.problems.result()) is not None:
        return invalid
    account = await session.scalar(
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert account is not None  # the caller passes the signed-in account
    address = email_key(account.email)
    limited = await login_limit(
        session=session, email=address, client_address=client_address, now=now
    )
    if limited is not None:
        await session.rollback()
        return InvalidCredentials(
            f"Too many wrong passwords; try again in {limited.retry_after} seconds."
        )
    if not await asyncio.to_thread(verify_password, account.password_hash, current_password):
        # A stolen token must not become an unlimited password oracle: misses count as logins.
        session.add(
            LoginAttempt(email=address, client_ip=client_address, succeeded=False, created_at=now)
        )
        _record_on(session, account, actor, AuditAction.PASSWORD_CHANGE_FAILED, now)
        await session.commit()
        return InvalidCredentials("The current password is wrong.")
    await _set_password(account, new_password, now=now)
    _record_on(session, account, actor, AuditAction.PASSWORD_CHANGED, now)
    await session.commit()
    return authenticated(account, now=now, settings=settings)


async def reset_password(
    *,
    session: AsyncSession,
    email: str,
    phone: str,
    new_password: str,
    otp_code: str,
    actor: Actor,
    now: datetime,
    settings: Settings,
) -> PasswordChanged | OtpInvalid | NotFound | ValidationFailed:
    """Set a new password for the account with this email and phone, behind an OTP. Commits."""
    form = FormChecker(Problems(), settings.default_country_code)
    clean = form.email("email", email)
    e164 = form.phone("phone", phone)
    password = form.password("newPassword", new_password)
    code = form.otp_code("otpCode", otp_code)
    if (invalid := form.problems.result()) is not None:
        return invalid
    if not await verify_otp(
        session=session,
        phone=e164,
        purpose=OtpPurpose.RESET_PASSWORD,
        code=code,
        now=now,
        keyring=keyring_of(settings),
    ):
        await session.commit()
        return OtpInvalid()
    account = await session.scalar(
        select(Account)
        .where(func.lower(Account.email) == clean, Account.phone == e164)
        .with_for_update()
    )
    if account is None:
        # Keep the code usable: the person may have mistyped the email.
        await session.rollback()
        return NotFound("No account has this email and phone number.")
    await _set_password(account, password, now=now)
    # The code proved the phone, not a sign-in: the actor stays who the request says.
    _record_on(session, account, actor, AuditAction.PASSWORD_RESET, now)
    await session.commit()
    return PasswordChanged()


def email_key(email: str) -> str:
    """The email as login attempts record it: normalised and cut to the column's size."""
    return clean_email(email)[:MAX_EMAIL_LENGTH]


async def _set_password(account: Account, password: str, *, now: datetime) -> None:
    account.password_hash = await asyncio.to_thread(hash_password, password)
    # Every token issued before carries the old version and stops working.
    account.token_version += 1
    account.updated_at = now


def _record_on(
    session: AsyncSession, account: Account, actor: Actor, action: AuditAction, now: datetime
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        now=now,
        target_kind=AuditTargetKind.ACCOUNT,
        target_id=account.id,
    )


@cache
def _dummy_hash() -> str:
    return hash_password("not a real password, only for constant-time failures")
