"""Waitlist entries' public ids and manage tokens (made like appointments', over the entry id)."""

from __future__ import annotations

import hmac

from db.models import WaitlistEntry
from db.models.waitlist import PUBLIC_ID_PREFIX
from resolvers.booking.manage_tokens import derive_entry_token, hash_token
from resolvers.platform.keys import Keyring
from resolvers.platform.text import ascii_number


def parse_entry_id(public_id: str) -> int | None:
    """The entry id in MMW-<n>, or None for anything else."""
    raw = public_id.strip().upper()
    if not raw.startswith(PUBLIC_ID_PREFIX):
        return None
    return ascii_number(raw[len(PUBLIC_ID_PREFIX) :], max_digits=17)


def entry_token_matches(token: str, *, entry: WaitlistEntry, keyring: Keyring) -> bool:
    """True when ``token`` is the entry's manage token, derived by a listed key."""
    stored = entry.manage_token_hash
    if not hmac.compare_digest(hash_token(token.strip()).encode(), stored.encode()):
        return False
    salt = entry.manage_token_salt
    derived = keyring.matching_key(
        stored, lambda key: hash_token(derive_entry_token(key=key, entry_id=entry.id, salt=salt))
    )
    return derived is not None
