"""Random secrets, their checksums and their hashes.

A Tessera secret (a sign-in ticket, a secret key) is ``prefix + selector + body + checksum``:
``selector`` is an optional public part that names the record the secret opens (a ticket's
token id: the record is found by it, and the secret's hash is then compared in constant time),
``body`` is 43 uniform base62 characters from :mod:`secrets` (256 bits), ``checksum`` is the
CRC32 of everything before it in 6 base62 characters. The fixed prefix lets secret scanners spot
a leaked one; the checksum lets a typo or a forgery be refused without touching the store. Only
:func:`hash_secret` of a secret is ever stored: the secrets are 256-bit random, so a plain
SHA-256 is enough (no password-style KDF is needed to resist guessing).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

__all__ = [
    "base62",
    "constant_time_equal",
    "hash_secret",
    "is_well_formed",
    "new_secret",
    "random_base62",
]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
BODY_LENGTH = 43  # 43 base62 characters carry 256.03 bits
CHECKSUM_LENGTH = 6  # base62 digits of a 32-bit number
_BASE62 = re.compile(r"[0-9A-Za-z]+")
# Random bytes below 248 (= 4 x 62) map evenly onto the alphabet; the rest are dropped, so
# every character is uniform. bytes.translate does the mapping in C.
_UNIFORM = bytes(ord(ALPHABET[b % 62]) if b < 248 else 0 for b in range(256))
_DROP = bytes(range(248, 256))


def base62(value: int, width: int) -> str:
    """``value`` (small: a checksum, a time) in base62, left-padded with zeros to ``width``."""
    digits = []
    while value:
        value, rem = divmod(value, 62)
        digits.append(ALPHABET[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def random_base62(length: int) -> str:
    """``length`` uniform random base62 characters from :mod:`secrets`."""
    out = b""
    while len(out) < length:
        out += secrets.token_bytes(length + 16).translate(_UNIFORM, _DROP)
    return out[:length].decode()


def _checksum(text: str) -> str:
    return base62(zlib.crc32(text.encode()), CHECKSUM_LENGTH)


def new_secret(prefix: str, selector: str = "") -> str:
    """A fresh 256-bit secret with ``prefix``, a public ``selector`` (base62) and a checksum."""
    head = prefix + selector + random_base62(BODY_LENGTH)
    return head + _checksum(head)


def is_well_formed(secret: str, prefix: str, selector_length: int = 0) -> bool:
    """Whether ``secret`` has ``prefix``, the right length, base62 digits and a valid checksum."""
    length = len(prefix) + selector_length + BODY_LENGTH + CHECKSUM_LENGTH
    if len(secret) != length or not secret.startswith(prefix):
        return False
    if _BASE62.fullmatch(secret, len(prefix)) is None:
        return False
    head, checksum = secret[:-CHECKSUM_LENGTH], secret[-CHECKSUM_LENGTH:]
    return hmac.compare_digest(checksum, _checksum(head))


def hash_secret(secret: str) -> str:
    """The stored form of a secret: SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
