"""The server's keys: the current one makes every token and HMAC, any listed one verifies."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from settings import Settings


def key_id(secret: str) -> str:
    """A short name for a key, the same on every server without configuring one.

    A hash with its own prefix, so the id (sent in every access token's header)
    says nothing about the HMACs the key makes.
    """
    return hashlib.sha256(b"medimyth key id:" + secret.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Key:
    kid: str
    secret: str

    @classmethod
    def of(cls, secret: str) -> Key:
        return cls(kid=key_id(secret), secret=secret)

    def mac(self, message: str) -> bytes:
        """HMAC-SHA256 of ``message`` under this key."""
        return hmac.new(self.secret.encode(), message.encode(), hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Keyring:
    """The current key first, then the previous ones still accepted."""

    keys: tuple[Key, ...]

    @classmethod
    def of(cls, current: str, *previous: str) -> Keyring:
        return cls(tuple(Key.of(secret) for secret in (current, *previous)))

    @property
    def current(self) -> Key:
        return self.keys[0]

    def find(self, kid: str) -> Key | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def matching_key(self, presented: str, make: Callable[[Key], str]) -> Key | None:
        """The listed key whose ``make(key)`` equals ``presented``; None when no key's does.

        Every key is tried and each comparison takes constant time, so the answer's
        timing tells neither the value nor which key made it.
        """
        found: Key | None = None
        for key in self.keys:
            if hmac.compare_digest(make(key).encode(), presented.encode()) and found is None:
                found = key
        return found


def keyring_of(settings: Settings) -> Keyring:
    """The keyring the settings list (SECRET_KEY, then SECRET_KEY_PREVIOUS)."""
    return _keyring(settings.secret_key, settings.secret_key_previous)


# Keyed by the keys alone, not by the whole Settings (whose fields need not be hashable).
@lru_cache(maxsize=8)
def _keyring(current: str, previous: tuple[str, ...]) -> Keyring:
    return Keyring.of(current, *previous)
