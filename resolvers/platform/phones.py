"""Phone numbers, stored in E.164; a 10-digit national number gets the default country code."""

from __future__ import annotations

import re

import phonenumbers

_NATIONAL = re.compile(r"\d{10}")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(raw: str, *, default_country_code: str) -> str | None:
    """The number in E.164 (+919830012345), or None when it is not a valid phone number."""
    compact = _SEPARATORS.sub("", raw or "")
    if not compact:
        return None
    if _NATIONAL.fullmatch(compact):
        compact = default_country_code + compact
    elif compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.lstrip("+").isdigit():
        return None
    # Anything else without a "+" is read as a national number of the default
    # country (with its trunk prefix, such as 0 in India).
    region = phonenumbers.region_code_for_country_code(int(default_country_code.lstrip("+")))
    try:
        number = phonenumbers.parse(compact, None if compact.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
