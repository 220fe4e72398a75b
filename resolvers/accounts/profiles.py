"""Checks for what a doctor types into a form: every problem collected, each named by its field."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Category
from resolvers.platform.errors import FieldProblem, Problems
from resolvers.platform.phones import normalize_phone
from resolvers.platform.text import single_line

MIN_PASSWORD_LENGTH = 10
# Argon2 copes with long inputs, but an unbounded one is a cheap way to burn CPU.
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254
OTP_CODE = re.compile(r"\d{6}")
# IANA names: "/"-separated parts of ASCII letters, digits, "_", "-" and "+" (Etc/GMT+5);
# the longest is about 30 characters.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
MAX_ZONE_LENGTH = 64

# Deliberately loose: one "@", something on both sides, a dot in the domain, no spaces.
# The OTP to the phone and the admin's review are the real checks of who registers.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

# The model's column sizes, so a too-long value is a field error and not a database error.
MAX_LENGTHS = {
    "name": 200,
    "registrationNumber": 64,
    "address": 500,
    "city": 100,
    "description": 2000,
    "categoryLabel": 100,
    "referralCode": 32,
    "profilePictureUrl": 2000,
}


def _is_zone_name(value: str) -> bool:
    """Whether ``value`` names an IANA time zone this server knows.

    The shape is checked before zoneinfo sees the name: it reads a file of that name,
    and a very long one fails with OSError (file name too long), not ZoneInfoNotFoundError.
    """
    if len(value) > MAX_ZONE_LENGTH or not _ZONE_NAME.fullmatch(value):
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def clean_email(raw: str) -> str:
    """Emails compare case-insensitively; they are stored trimmed and in lower case."""
    return raw.strip().lower()


@dataclass(frozen=True, slots=True)
class FormChecker:
    """Validates a form field by field, adding a problem for each bad one; returns clean values.

    A required field that fails comes back as "" (never stored: the caller returns
    ``problems.result()`` first), so clean values keep plain ``str`` types.
    """

    problems: Problems
    default_country_code: str

    def required(self, field: str, raw: str | None) -> str:
        value = single_line(raw or "")
        if not value:
            self.problems.add(field, FieldProblem.REQUIRED, "This field is required.")
            return ""
        return self._fits(field, value) or ""

    def optional(self, field: str, raw: str | None, *, multiline: bool = False) -> str | None:
        """None when absent or blank: an empty optional field clears it."""
        if raw is None:
            return None
        value = raw.strip() if multiline else single_line(raw)
        return self._fits(field, value) if value else None

    def _fits(self, field: str, value: str) -> str | None:
        limit = MAX_LENGTHS[field]
        if len(value) > limit:
            self.problems.add(field, FieldProblem.TOO_LONG, f"Use at most {limit} characters.")
            return None
        return value

    def email(self, field: str, raw: str) -> str:
        value = clean_email(raw)
        if not value:
            self.problems.add(field, FieldProblem.REQUIRED, "This field is required.")
        elif len(value) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(value):
            self.problems.add(
                field, FieldProblem.INVALID_FORMAT, "Enter an email address like name@example.org."
            )
        else:
            return value
        return ""

    def phone(self, field: str, raw: str) -> str:
        value = normalize_phone(raw, default_country_code=self.default_country_code)
        if value is None:
            self.problems.add(
                field,
                FieldProblem.INVALID_FORMAT,
                "Enter a valid phone number: 10 digits, or with a + and country code.",
            )
        return value or ""

    def password(self, field: str, raw: str) -> str:
        if len(raw) < MIN_PASSWORD_LENGTH:
            self.problems.add(
                field, FieldProblem.TOO_SHORT, f"Use at least {MIN_PASSWORD_LENGTH} characters."
            )
        elif len(raw) > MAX_PASSWORD_LENGTH:
            self.problems.add(
                field, FieldProblem.TOO_LONG, f"Use at most {MAX_PASSWORD_LENGTH} characters."
            )
        else:
            return raw
        return ""

    def time_zone(self, field: str, raw: str) -> str:
        value = raw.strip()
        if not _is_zone_name(value):
            self.problems.add(
                field,
                FieldProblem.INVALID_CHOICE,
                "Use an IANA time zone name such as Asia/Kolkata.",
            )
            return ""
        return value

    def url(self, field: str, raw: str | None) -> str | None:
        value = self.optional(field, raw)
        if value is not None and (not value.startswith(("https://", "http://")) or " " in value):
            self.problems.add(
                field, FieldProblem.INVALID_FORMAT, "Enter a web address starting with https://."
            )
            return None
        return value

    def otp_code(self, field: str, raw: str) -> str:
        value = raw.strip()
        if not OTP_CODE.fullmatch(value):
            self.problems.add(
                field, FieldProblem.INVALID_FORMAT, "Enter the 6-digit code sent to your phone."
            )
            return ""
        return value


async def check_category(
    *,
    session: AsyncSession,
    checker: FormChecker,
    category_id: int | None,
    category_label: str | None,
) -> None:
    """A doctor needs a known category, or a free-text label when the specialty is "other"."""
    if category_id is not None:
        found = await session.scalar(select(Category.id).where(Category.id == category_id))
        if found is None:
            checker.problems.add("categoryId", FieldProblem.NOT_FOUND, "There is no such category.")
    elif category_label is None:
        checker.problems.add(
            "categoryId",
            FieldProblem.REQUIRED,
            "Choose a category, or describe your specialty in categoryLabel.",
        )
