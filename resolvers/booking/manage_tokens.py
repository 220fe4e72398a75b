"""Manage tokens: the secret a patient keeps to view or cancel a booking; only a hash is stored.

The token is derived, not random: HMAC(server key, appointment id + a random
per-appointment salt). The salt and the token's SHA-256 are stored; so the token
can be derived again for an idempotent retry of the booking (which must answer
what the first request answered), while the table alone reveals nothing usable.
New tokens use the current key; a token stays valid while the key that derived
it is listed (current or previous).

A waitlist entry's token is made the same way over the entry's id. When the entry is
promoted, its appointment keeps the entry's token: the appointment's salt column then
names the entry (``MMW-<id>:<salt>``), so the token is derived again as the entry's was
and key rotation ends it like any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from db.models import Appointment
from resolvers.platform.keys import Key, Keyring
from resolvers.platform.text import ascii_number

PUBLIC_ID_PREFIX = "MMA-"
ENTRY_PREFIX = "MMW-"


def new_salt() -> str:
    return secrets.token_urlsafe(24)


def derive_token(*, key: Key, appointment_id: int, salt: str) -> str:
    return _encoded(key.mac(f"manage:{appointment_id}:{salt}"))


def derive_entry_token(*, key: Key, entry_id: int, salt: str) -> str:
    """A waitlist entry's token: its own namespace, so it never equals an appointment's."""
    return _encoded(key.mac(f"waitlist:{entry_id}:{salt}"))


def promoted_salt(*, entry_id: int, salt: str) -> str:
    """The salt an appointment stores when the entry's token manages it."""
    return f"{ENTRY_PREFIX}{entry_id}:{salt}"


def _encoded(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _token_of(appointment: Appointment, salt: str, key: Key) -> str:
    """The appointment's token under ``key``: its own, or the entry's it was promoted from."""
    entry, separator, entry_salt = salt.partition(":")
    if separator and entry.startswith(ENTRY_PREFIX):
        entry_id = ascii_number(entry[len(ENTRY_PREFIX) :], max_digits=17)
        if entry_id is not None:
            return derive_entry_token(key=key, entry_id=entry_id, salt=entry_salt)
    return derive_token(key=key, appointment_id=appointment.id, salt=salt)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def deriving_key(appointment: Appointment, *, keyring: Keyring) -> Key | None:
    """The listed key that derived the appointment's stored token; None when none did."""
    salt = appointment.manage_token_salt
    if salt is None:
        return None
    return keyring.matching_key(
        appointment.manage_token_hash,
        lambda key: hash_token(_token_of(appointment, salt, key)),
    )


def token_again(appointment: Appointment, *, keyring: Keyring) -> str:
    """The appointment's manage token once more, for an idempotent retry's answer.

    Derived again by the key that derived it; when that key was dropped since (or the
    row predates salts) a fresh token is issued and stored (the caller commits).
    """
    salt = appointment.manage_token_salt
    deriving = deriving_key(appointment, keyring=keyring)
    if salt is not None and deriving is not None:
        return derive_token(key=deriving, appointment_id=appointment.id, salt=salt)
    salt = new_salt()
    token = derive_token(key=keyring.current, appointment_id=appointment.id, salt=salt)
    appointment.manage_token_salt = salt
    appointment.manage_token_hash = hash_token(token)
    return token


def token_matches(token: str, *, appointment: Appointment, keyring: Keyring) -> bool:
    """True when ``token`` is the appointment's manage token, derived by a listed key.

    Dropping a key from the keyring ends the tokens it derived: whoever learnt the
    key and a copy of the table could derive them all. Tokens of rows that predate
    salts are random and bound to no key.
    """
    clean = token.strip()
    if not hmac.compare_digest(hash_token(clean).encode(), appointment.manage_token_hash.encode()):
        return False
    return (
        appointment.manage_token_salt is None
        or deriving_key(appointment, keyring=keyring) is not None
    )


def parse_public_id(public_id: str) -> int | None:
    """The appointment id in MMA-<n>, or None for anything else."""
    raw = public_id.strip().upper()
    if not raw.startswith(PUBLIC_ID_PREFIX):
        return None
    # At most 17 digits: any key an identity column can hold comes out unchanged.
    return ascii_number(raw[len(PUBLIC_ID_PREFIX) :], max_digits=17)
