"""Manage tokens: the secret a patient keeps to view or cancel a booking; only a hash is stored.

The token is derived, not random: HMAC(server secret, appointment id + a random
per-appointment salt). The salt and the token's SHA-256 are stored; so the token
can be derived again for an idempotent retry of the booking (which must answer
what the first request answered), while the table alone reveals nothing usable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from resolvers.platform.text import ascii_number

PUBLIC_ID_PREFIX = "MMA-"


def new_salt() -> str:
    return secrets.token_urlsafe(24)


def derive_token(*, secret: str, appointment_id: int, salt: str) -> str:
    digest = hmac.new(
        secret.encode(), f"manage:{appointment_id}:{salt}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token.strip()), token_hash)


def parse_public_id(public_id: str) -> int | None:
    """The appointment id in MMA-<n>, or None for anything else."""
    raw = public_id.strip().upper()
    if not raw.startswith(PUBLIC_ID_PREFIX):
        return None
    # At most 17 digits: any key an identity column can hold comes out unchanged.
    return ascii_number(raw[len(PUBLIC_ID_PREFIX) :], max_digits=17)
