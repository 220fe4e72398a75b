"""Patient tokens: a short-lived signed token for one phone, a kind of its own.

A patient token can never pass for an account's token, nor one for the other, for
three independent reasons: it is signed with its own secret (an HMAC of the key, not
the key itself), it names its own audience (PyJWT refuses a token with an audience
when none is expected, as account tokens expect), and its header says ``typ``. Like
account tokens it names the key that made it (``kid``), so it survives a rotation
while that key is listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from resolvers.accounts.tokens import ALGORITHM, ISSUED_LEEWAY, ISSUER
from resolvers.platform.keys import Key, Keyring

AUDIENCE = "medimyth:patient"
TYPE = "patient+jwt"
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@dataclass(frozen=True, slots=True)
class PatientToken:
    token: str
    expires_at: datetime
    phone: str


def _secret(key: Key) -> bytes:
    # Derived per purpose: a patient token's signature proves nothing under the key itself.
    return key.mac("medimyth patient token")


def issue_patient_token(
    *, keyring: Keyring, phone: str, now: datetime, ttl: timedelta
) -> PatientToken:
    """A token for one E.164 phone, signed by the current key, valid for ``ttl``."""
    expires_at = now + ttl
    payload = {
        "sub": phone,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    key = keyring.current
    signed = jwt.encode(
        payload, _secret(key), algorithm=ALGORITHM, headers={"kid": key.kid, "typ": TYPE}
    )
    return PatientToken(token=signed, expires_at=expires_at, phone=phone)


def read_patient_token(token: str, *, keyring: Keyring, now: datetime) -> str | None:
    """The phone a valid patient token names; None for anything else (account tokens too)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return None
    key = keyring.find(str(header.get("kid")))
    if key is None or header.get("typ") != TYPE:
        return None  # not a patient token, or its key is no longer listed
    try:
        payload = jwt.decode(
            token,
            _secret(key),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            # Time claims are checked below against the injected clock, not the host's.
            options={
                "require": ["sub", "aud", "iss", "exp", "iat"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        expires, issued, phone = int(payload["exp"]), int(payload["iat"]), payload["sub"]
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
    if expires <= now.timestamp() or issued > now.timestamp() + ISSUED_LEEWAY:
        return None
    if not isinstance(phone, str) or _E164.fullmatch(phone) is None:
        return None
    return phone
