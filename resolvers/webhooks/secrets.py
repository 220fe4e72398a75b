"""Signing secrets: made random, shown once, kept encrypted, and used to sign deliveries.

The server must sign with the secret, so it cannot keep only a hash: each secret is
encrypted with AES-GCM under a key derived (HKDF-SHA256) from SECRET_KEY, so a
database dump alone reveals none. After a SECRET_KEY rotation the previous keys
(SECRET_KEY_PREVIOUS) still open what they sealed. Signing is the standardwebhooks
package's.
"""

from __future__ import annotations

import base64
import os
import secrets as random
from datetime import datetime
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from standardwebhooks.webhooks import Webhook

from resolvers.platform.keys import Keyring

PREFIX = "whsec_"
SECRET_BYTES = 32  # the issue asks for at least 24
_NONCE_BYTES = 12
# Binds a ciphertext to its purpose: the same key could never decrypt something else.
_AAD = b"medimyth webhook endpoint secret"


def new_secret() -> str:
    """``whsec_`` and the base64 of 32 random bytes, the format Standard Webhooks libraries read."""
    return PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


@lru_cache(maxsize=4)
def _cipher(secret_key: str) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"medimyth webhook secrets v1"
    ).derive(secret_key.encode())
    return AESGCM(key)


def seal(secret: str, *, keyring: Keyring) -> bytes:
    """The stored form, under the current key: a fresh nonce, then the ciphertext and tag."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + _cipher(keyring.current.secret).encrypt(nonce, secret.encode(), _AAD)


def unseal(sealed: bytes, *, keyring: Keyring) -> str:
    """The secret again, under whichever listed key sealed it (InvalidTag: none did)."""
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    for key in keyring.keys:
        try:
            return _cipher(key.secret).decrypt(nonce, ciphertext, _AAD).decode()
        except InvalidTag:
            continue
    raise InvalidTag("no listed key opens this webhook secret")


def signature_header(*, message_id: str, timestamp: datetime, body: str, secrets: list[str]) -> str:
    """``webhook-signature``: one ``v1,<base64>`` per secret, space-separated (current first)."""
    return " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for secret in secrets
    )
