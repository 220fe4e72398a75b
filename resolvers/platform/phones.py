"""Phone numbers, stored in E.164 (a 10-digit national number gets the default country code).

Also which numbers a code may be texted to: allowed countries, mobile numbers only.
"""

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


# Types a code can reach by SMS. Everything else is refused even in an allowed country:
# premium-rate and shared-cost numbers (the toll-fraud payout), pagers, VoIP, UAN,
# personal and landline numbers. Numbers of no country (region 001: satellite +881,
# international networks +882/+883, premium +979) are refused whatever the allow-list.
_TEXTABLE = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_NO_COUNTRY = "001"


def calling_code(e164: str) -> int:
    """The country calling code of a normalised number (91 for +919830012345)."""
    return phonenumbers.parse(e164).country_code or 0


def sms_refusal(e164: str, *, allowed_country_codes: tuple[str, ...]) -> str | None:
    """Why no code may be texted to ``e164`` (a normalised number), or None when it may."""
    number = phonenumbers.parse(e164)
    if (
        f"+{number.country_code}" not in allowed_country_codes
        or phonenumbers.region_code_for_number(number) == _NO_COUNTRY
    ):
        countries = ", ".join(allowed_country_codes)
        return f"Codes can be sent to phone numbers in {countries} only."
    if phonenumbers.number_type(number) not in _TEXTABLE:
        return "Codes can be sent to mobile numbers only."
    return None
