"""Signed access tokens (PyJWT, HS256): account id, role and token version, with an expiry.

The header names the key that signed the token (``kid``), so a token keeps working
while its key is listed, current or previous (resolvers/platform/keys.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from db.enums import AccountRole
from resolvers.platform.keys import Key, Keyring

ALGORITHM = "HS256"
ISSUER = "medimyth"
# Servers' clocks drift a little; a token "issued" a minute ahead is still accepted.
ISSUED_LEEWAY = 60


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenClaims:
    account_id: int
    role: AccountRole
    version: int


def issue_token(
    *,
    keyring: Keyring,
    account_id: int,
    role: AccountRole,
    version: int,
    now: datetime,
    ttl: timedelta,
) -> AccessToken:
    expires_at = now + ttl
    payload = {
        "sub": str(account_id),
        "role": role.value,
        "ver": version,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    key = keyring.current
    signed = jwt.encode(payload, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})
    return AccessToken(token=signed, expires_at=expires_at)


def read_token(token: str, *, keyring: Keyring, now: datetime) -> TokenClaims | None:
    """The claims when a listed key signed the token and its issuer and expiry hold at ``now``."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    if kid is None:
        # Signed before tokens named their key: whichever listed key signed it.
        keys = keyring.keys
    else:
        found = keyring.find(kid)
        if found is None:
            return None  # a key no longer listed (or never): signed out
        keys = (found,)
    for key in keys:
        claims = _verified(token, key=key, now=now)
        if claims is not None:
            return claims
    return None


def _verified(token: str, *, key: Key, now: datetime) -> TokenClaims | None:
    try:
        payload = jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            # Time claims are checked below against the injected clock, not the host's.
            options={
                "require": ["sub", "exp", "iat", "ver", "role"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        expires = int(payload["exp"])
        if expires <= now.timestamp() or int(payload["iat"]) > now.timestamp() + ISSUED_LEEWAY:
            return None
        return TokenClaims(
            account_id=int(payload["sub"]),
            role=AccountRole(payload["role"]),
            version=int(payload["ver"]),
        )
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        return None
