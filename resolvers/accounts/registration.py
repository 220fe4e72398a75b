"""Doctors' sign-up (behind an OTP to their own phone) and later changes to their profile."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import AccountRole, DoctorStatus, OtpPurpose
from db.models import Account
from resolvers.accounts.auth import Authenticated, authenticated
from resolvers.accounts.passwords import hash_password
from resolvers.accounts.profiles import FormChecker, check_category
from resolvers.accounts.standing import refuse_suspended
from resolvers.platform.errors import AlreadyExists, OtpInvalid, Problems, ValidationFailed
from resolvers.platform.keys import keyring_of
from resolvers.platform.otp import verify_otp
from settings import Settings

_EMAIL_TAKEN = AlreadyExists("email", "An account with this email already exists.")
_REGISTRATION_TAKEN = AlreadyExists(
    "registrationNumber", "A doctor with this registration number is already registered."
)


@dataclass(frozen=True, slots=True)
class Registration:
    """What a doctor types into the sign-up form, as sent."""

    name: str
    email: str
    phone: str
    password: str
    registration_number: str
    address: str
    city: str
    otp_code: str
    category_id: int | None = None
    category_label: str | None = None
    description: str | None = None
    referral_code: str | None = None
    profile_picture_url: str | None = None
    email_visible: bool = True
    phone_visible: bool = True
    registration_number_visible: bool = True
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """A doctor's edit of their profile: None leaves a field as it is; "" clears an optional one."""

    name: str | None = None
    phone: str | None = None
    registration_number: str | None = None
    address: str | None = None
    city: str | None = None
    category_id: int | None = None
    category_label: str | None = None
    description: str | None = None
    referral_code: str | None = None
    profile_picture_url: str | None = None
    email_visible: bool | None = None
    phone_visible: bool | None = None
    registration_number_visible: bool | None = None
    time_zone: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileUpdated:
    account: Account


async def register_doctor(
    *, session: AsyncSession, registration: Registration, now: datetime, settings: Settings
) -> Authenticated | OtpInvalid | AlreadyExists | ValidationFailed:
    """Create a PENDING_ACTIVATION doctor and sign them in. Commits (a wrong code counts too)."""
    form = FormChecker(Problems(), settings.default_country_code)
    r = registration
    name = form.required("name", r.name)
    email = form.email("email", r.email)
    phone = form.phone("phone", r.phone)
    password = form.password("password", r.password)
    registration_number = form.required("registrationNumber", r.registration_number)
    address = form.required("address", r.address)
    city = form.required("city", r.city)
    category_label = form.optional("categoryLabel", r.category_label)
    description = form.optional("description", r.description, multiline=True)
    referral_code = form.optional("referralCode", r.referral_code)
    picture = form.url("profilePictureUrl", r.profile_picture_url)
    time_zone = form.time_zone("timeZone", r.time_zone or settings.default_time_zone)
    code = form.otp_code("otpCode", r.otp_code)
    await check_category(
        session=session, checker=form, category_id=r.category_id, category_label=category_label
    )
    if (invalid := form.problems.result()) is not None:
        return invalid
    # The code comes first: without it nobody learns which emails are registered.
    if not await verify_otp(
        session=session,
        phone=phone,
        purpose=OtpPurpose.REGISTER_DOCTOR,
        code=code,
        now=now,
        keyring=keyring_of(settings),
    ):
        await session.commit()
        return OtpInvalid()
    taken = await _taken(session, email=email, registration_number=registration_number)
    if taken is not None:
        # Rolling back un-consumes the code: the doctor fixes the field and retries with it.
        await session.rollback()
        return taken
    account = Account(
        role=AccountRole.DOCTOR,
        status=DoctorStatus.PENDING_ACTIVATION,
        email=email,
        password_hash=await asyncio.to_thread(hash_password, password),
        name=name,
        phone=phone,
        registration_number=registration_number,
        address=address,
        city=city,
        description=description,
        category_id=r.category_id,
        category_label=category_label,
        time_zone=time_zone,
        referral_code=referral_code,
        profile_picture_url=picture,
        email_visible=r.email_visible,
        phone_visible=r.phone_visible,
        registration_number_visible=r.registration_number_visible,
        token_version=0,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    try:
        await session.commit()
    except IntegrityError:
        # Someone registered the same email or number between our check and the insert.
        await session.rollback()
        return await _taken(session, email=email, registration_number=registration_number) or (
            _EMAIL_TAKEN
        )
    return authenticated(account, now=now, settings=settings)


async def update_profile(
    *,
    session: AsyncSession,
    account_id: int,
    changes: ProfileChanges,
    now: datetime,
    settings: Settings,
) -> ProfileUpdated | AlreadyExists | ValidationFailed:
    """Apply the given fields to the doctor's own profile, all or nothing. Commits.

    FORBIDDEN for a suspended doctor, read under the row lock (so a suspension that
    commits while the edit is in flight wins): "no changes" (resolvers/accounts/standing.py).
    """
    account = await session.scalar(
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert account is not None  # the caller passes the signed-in doctor
    refuse_suspended(account)
    form = FormChecker(Problems(), settings.default_country_code)
    c = changes
    values: dict[str, object] = {}
    for field, column, raw in (
        ("name", "name", c.name),
        ("registrationNumber", "registration_number", c.registration_number),
        ("address", "address", c.address),
        ("city", "city", c.city),
    ):
        if raw is not None:
            values[column] = form.required(field, raw)
    for field, column, raw in (
        ("categoryLabel", "category_label", c.category_label),
        ("description", "description", c.description),
        ("referralCode", "referral_code", c.referral_code),
    ):
        if raw is not None:
            values[column] = form.optional(field, raw, multiline=column == "description")
    if c.profile_picture_url is not None:
        values["profile_picture_url"] = form.url("profilePictureUrl", c.profile_picture_url)
    if c.phone is not None:
        values["phone"] = form.phone("phone", c.phone)
    if c.time_zone is not None:
        values["time_zone"] = form.time_zone("timeZone", c.time_zone)
    if c.category_id is not None:
        values["category_id"] = c.category_id
    for column, flag in (
        ("email_visible", c.email_visible),
        ("phone_visible", c.phone_visible),
        ("registration_number_visible", c.registration_number_visible),
    ):
        if flag is not None:
            values[column] = flag
    label = values.get("category_label", account.category_label)
    await check_category(
        session=session,
        checker=form,
        category_id=c.category_id if c.category_id is not None else account.category_id,
        category_label=label if isinstance(label, str) else None,
    )
    if (invalid := form.problems.result()) is not None:
        await session.rollback()
        return invalid
    number = values.get("registration_number")
    if isinstance(number, str) and number != account.registration_number:
        taken = await _taken(session, email=None, registration_number=number)
        if taken is not None:
            await session.rollback()
            return taken
    for column, value in values.items():
        setattr(account, column, value)
    account.updated_at = now
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return _REGISTRATION_TAKEN
    return ProfileUpdated(account)


async def _taken(
    session: AsyncSession, *, email: str | None, registration_number: str | None
) -> AlreadyExists | None:
    if email is not None:
        found = await session.scalar(select(Account.id).where(func.lower(Account.email) == email))
        if found is not None:
            return _EMAIL_TAKEN
    if registration_number is not None:
        found = await session.scalar(
            select(Account.id).where(
                func.lower(Account.registration_number) == registration_number.lower()
            )
        )
        if found is not None:
            return _REGISTRATION_TAKEN
    return None
