"""Signed access tokens (PyJWT, HS256): account id, role and token version, with an expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from db.enums import AccountRole

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
    secret: str,
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
    return AccessToken(
        token=jwt.encode(payload, secret, algorithm=ALGORITHM), expires_at=expires_at
    )


def read_token(token: str, *, secret: str, now: datetime) -> TokenClaims | None:
    """The token's claims when its signature, issuer and expiry hold at ``now``; else None."""
    try:
        payload = jwt.decode(
            token,
            secret,
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
