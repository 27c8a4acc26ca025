"""Secrets sealed at rest: AES-256-GCM under ``TESSERA_ENCRYPTION_KEY``. No SQL, no HTTP.

An encryption key is 32 random bytes written as unpadded base64url (43 characters; ``tessera
keygen --encryption-key`` prints one). A sealed value is ``sealed:v1:`` + base64url(12-byte
nonce + ciphertext + 16-byte tag); the caller's ``context`` (a signing key's id) is the
associated data, so a sealed value copied onto another row does not open. A value without the
prefix is plaintext (written before a key was set): it opens as is, and ``tessera signing-keys
rewrap`` seals it.

A :class:`Keyring` seals under its current key and opens with the current or the previous one
(``TESSERA_PREVIOUS_ENCRYPTION_KEY``), so servers can move to a new key before the rewrap.
Neither a key nor a secret ever appears in an exception, a log or a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tessera.errors import ConfigError

__all__ = ["PREFIX", "Keyring", "Unsealable", "is_sealed", "new_key", "parse_key"]

PREFIX = "sealed:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12


class Unsealable(ConfigError):
    """A sealed value that no key of the keyring opens (or there is no key at all). Its
    message is one sentence saying which setting to change."""


_NO_KEY = (
    "The signing keys in this database are encrypted and TESSERA_ENCRYPTION_KEY is not set: "
    "set it to the key they were sealed with."
)
_WRONG_KEY = (
    "The signing keys in this database do not open with TESSERA_ENCRYPTION_KEY: set it to the "
    "key they were sealed with (to move to a new key, give the old one as "
    "TESSERA_PREVIOUS_ENCRYPTION_KEY and run `tessera signing-keys rewrap`)."
)


def new_key() -> str:
    """A new encryption key: 32 random bytes, unpadded base64url."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).rstrip(b"=").decode()


def parse_key(text: str, name: str = "TESSERA_ENCRYPTION_KEY") -> bytes:
    """The 32 bytes of a key as written; ConfigError naming ``name`` otherwise."""
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise ConfigError(
            f"{name} is not an encryption key (32 bytes in base64url, 43 characters): make "
            "one with `tessera keygen --encryption-key`."
        )
    return raw


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


@dataclass(frozen=True)
class Keyring:
    """The key that seals (``None``: values are stored in plaintext) and the keys that open."""

    current: bytes | None = field(default=None, repr=False)
    previous: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Keyring:
        env = os.environ if env is None else env
        current = env.get("TESSERA_ENCRYPTION_KEY") or None
        previous = env.get("TESSERA_PREVIOUS_ENCRYPTION_KEY") or None
        return cls(
            None if current is None else parse_key(current),
            None if previous is None else parse_key(previous, "TESSERA_PREVIOUS_ENCRYPTION_KEY"),
        )

    @property
    def encrypts(self) -> bool:
        return self.current is not None

    def seal(self, plaintext: str, *, context: str) -> str:
        """``plaintext`` sealed under the current key (as is when there is none)."""
        if self.current is None:
            return plaintext
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.current).encrypt(nonce, plaintext.encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()

    def open(self, value: str, *, context: str) -> str:
        """The plaintext of ``value`` (sealed with ``context``, or plaintext); Unsealable."""
        if not is_sealed(value):
            return value
        body = value[len(PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise Unsealable(_WRONG_KEY) from None
        for key in (self.current, self.previous):
            if key is None:
                continue
            try:
                opened = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
            except (InvalidTag, ValueError):
                continue
            return opened.decode()
        raise Unsealable(_WRONG_KEY if self.current or self.previous else _NO_KEY)
