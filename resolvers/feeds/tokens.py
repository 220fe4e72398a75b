"""Feed secrets: a doctor's random feed token, and the signature of a patient's .ics link.

A doctor's token is random (256 bits from ``secrets``; the database's first one has
244), kept as it is so the doctor can see their feed URL again, like a calendar's
"secret address". Keeping it encrypted would guard only against someone who can read
the accounts table, who then also reads the schedules and appointments the feed is
made of (and patients' phones, which it never holds). It is looked up by a unique
index and then compared in constant time.

A patient's link stores nothing: an HMAC of the current server key (any listed key
verifies it) over the appointment's
id and creation instant. Both secrets are separate from manage and access tokens: a
leaked feed URL can only be read, never used to cancel or to sign in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime

from resolvers.platform.keys import Key, Keyring

_TOKEN = re.compile(r"[0-9a-f]{64}")


def new_token() -> str:
    """A fresh doctor's feed token: 64 hex digits, the shape the database's default has."""
    return secrets.token_hex(32)


def well_formed(token: str) -> bool:
    """Whether it could be a feed token at all (anything else is refused without a query)."""
    return _TOKEN.fullmatch(token) is not None


def same_token(presented: str, stored: str) -> bool:
    return hmac.compare_digest(presented.encode(), stored.encode())


def digest(kind: str, token: str) -> str:
    """What the per-token feed state is keyed by: never the token itself."""
    return hashlib.sha256(f"{kind}:{token}".encode()).hexdigest()


def appointment_signature(*, key: Key, appointment_id: int, created_at: datetime) -> str:
    """The ``sig`` of a patient's .ics link: the same for the appointment's whole life."""
    mac = key.mac(f"appointment-calendar:{appointment_id}:{created_at.isoformat()}")
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def signature_matches(
    presented: str, *, keyring: Keyring, appointment_id: int, created_at: datetime
) -> bool:
    """Made by any listed key: a rotation keeps patients' links working until the key goes."""
    found = keyring.matching_key(
        presented,
        lambda key: appointment_signature(
            key=key, appointment_id=appointment_id, created_at=created_at
        ),
    )
    return found is not None
