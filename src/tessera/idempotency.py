"""Idempotent creates: the first response to an ``Idempotency-Key`` is kept 24 hours and
given again to every retry of the same request. No HTTP, no SQL.

Threat model. The first response of a sign-in token create holds the ticket, a secret Tessera
otherwise keeps only as a hash. So the store never holds the raw key nor the response in clear:
the key is kept as its SHA-256; HKDF-SHA256 of the raw key (salted with the instance id)
gives a MAC key, for the request's fingerprint, and an AES-256-GCM key, which seals the
response (the instance, key hash and status are its associated data). Whoever reads the
database therefore learns a ticket only by knowing or guessing the Idempotency-Key. The SDK
sends random UUIDs (122 bits); a caller who picks guessable keys gives up that protection for
the 24 hours the response is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tessera.errors import IdempotencyKeyReused, IdempotencyRequestInProgress, ParamInvalid
from tessera.store import Store

__all__ = ["KEY_HEADER", "TTL", "Claim", "Replay", "begin", "finish", "release"]

KEY_HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
_SALT = b"tessera idempotency v1"
_NONCE = 12


@dataclass(frozen=True)
class Claim:
    """This request owns the key: run it, then :func:`finish` (or :func:`release`)."""

    instance_id: str
    key_hash: str
    seal_key: bytes = field(repr=False)


@dataclass(frozen=True)
class Replay:
    """The first response to this key and request, to be sent again as it was."""

    status: int
    body: bytes


def _check(raw_key: str) -> None:
    if not 1 <= len(raw_key) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in raw_key):
        raise ParamInvalid(KEY_HEADER, f"it must be 1 to {MAX_KEY_LENGTH} visible ASCII characters")


def _derive(instance_id: str, raw_key: str) -> tuple[bytes, bytes]:
    """(MAC key, sealing key), both from the raw key: never stored, so neither is."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=64, salt=_SALT, info=instance_id.encode())
    okm = hkdf.derive(raw_key.encode())
    return okm[:32], okm[32:]


def _fingerprint(mac_key: bytes, method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path and the body, key order aside."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    message = b"\n".join((method.upper().encode(), path.encode(), canonical))
    return hmac.new(mac_key, message, hashlib.sha256).hexdigest()


def _aad(claim: Claim, status: int) -> bytes:
    return f"{claim.instance_id}\n{claim.key_hash}\n{status}".encode()


async def begin(
    store: Store,
    instance_id: str,
    raw_key: str,
    *,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
) -> Claim | Replay:
    """Claim ``raw_key`` for this request, or the response to replay.

    IdempotencyKeyReused if the key came with another request; IdempotencyRequestInProgress
    if the first request with it has not finished yet.
    """
    _check(raw_key)
    mac_key, seal_key = _derive(instance_id, raw_key)
    claim = Claim(instance_id, hashlib.sha256(raw_key.encode()).hexdigest(), seal_key)
    fingerprint = _fingerprint(mac_key, method, path, body)
    keys, expired_before = store.idempotency, now - TTL
    if await keys.claim(
        instance_id, claim.key_hash, fingerprint, now=now, expired_before=expired_before
    ):
        await keys.purge(expired_before=expired_before)
        return claim
    record = await keys.get(instance_id, claim.key_hash)
    if record is None:  # completed-and-expired and purged between the two statements
        raise IdempotencyRequestInProgress()
    if not hmac.compare_digest(record.fingerprint, fingerprint):
        raise IdempotencyKeyReused()
    if record.status is None or record.sealed_response is None:
        raise IdempotencyRequestInProgress()
    sealed = bytes.fromhex(record.sealed_response)
    body = AESGCM(seal_key).decrypt(sealed[:_NONCE], sealed[_NONCE:], _aad(claim, record.status))
    return Replay(record.status, body)


async def finish(store: Store, claim: Claim, status: int, body: bytes) -> None:
    """Keep the first response, sealed, for the retries to come."""
    nonce = os.urandom(_NONCE)
    sealed = nonce + AESGCM(claim.seal_key).encrypt(nonce, body, _aad(claim, status))
    await store.idempotency.complete(claim.instance_id, claim.key_hash, status, sealed.hex())


async def release(store: Store, claim: Claim) -> None:
    """The request failed before making anything: free the key so a retry runs afresh."""
    await store.idempotency.release(claim.instance_id, claim.key_hash)
