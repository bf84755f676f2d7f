"""Password and API-key hashing with the standard library only (no extra dependency).

Passwords: scrypt (n=2**14, r=8, p=1, 16-byte salt), stored as
``scrypt$16384$8$1$<salt hex>$<hash hex>`` so parameters can be raised later without breaking
old hashes. API keys are long random tokens, so one SHA-256 is enough (no salt, fast lookup).

>>> h = hash_password("s3cret")
>>> verify_password("s3cret", h), verify_password("wrong", h)
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
API_KEY_PREFIX = "kefu-"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` string."""
    try:
        algo, n, r, p, salt, digest = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def new_api_key() -> str:
    """A fresh key like ``kefu-3q8...`` (32 random bytes, URL-safe)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
