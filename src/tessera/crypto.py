"""Random secrets, their checksums and their hashes.

A Tessera secret (a sign-in ticket, a secret key) is ``prefix + body + checksum``:
``body`` is 32 bytes from :mod:`secrets` in base62 (256 bits), ``checksum`` is the CRC32 of
``prefix + body`` in 6 base62 characters. The fixed prefix lets secret scanners spot a leaked
one; the checksum lets a typo or a forgery be refused without touching the store. Only
:func:`hash_secret` of a secret is ever stored: the secrets are 256-bit random, so a plain
SHA-256 is enough (no password-style KDF is needed to resist guessing).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib

__all__ = ["base62", "constant_time_equal", "hash_secret", "is_well_formed", "new_secret"]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
BODY_LENGTH = 43  # base62 digits of a 256-bit number
CHECKSUM_LENGTH = 6  # base62 digits of a 32-bit number


def base62(value: int, width: int) -> str:
    """``value`` in base62, left-padded with zeros to ``width`` characters."""
    digits = []
    while value:
        value, rem = divmod(value, 62)
        digits.append(ALPHABET[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(text: str) -> str:
    return base62(zlib.crc32(text.encode()), CHECKSUM_LENGTH)


def new_secret(prefix: str) -> str:
    """A fresh 256-bit secret with ``prefix`` and a checksum."""
    body = base62(int.from_bytes(secrets.token_bytes(32), "big"), BODY_LENGTH)
    return prefix + body + _checksum(prefix + body)


def is_well_formed(secret: str, prefix: str) -> bool:
    """Whether ``secret`` has ``prefix``, the right length, base62 digits and a valid checksum."""
    if len(secret) != len(prefix) + BODY_LENGTH + CHECKSUM_LENGTH or not secret.startswith(prefix):
        return False
    rest = secret[len(prefix) :]
    if any(c not in _INDEX for c in rest):
        return False
    body, checksum = rest[:BODY_LENGTH], rest[BODY_LENGTH:]
    return hmac.compare_digest(checksum, _checksum(prefix + body))


def hash_secret(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
