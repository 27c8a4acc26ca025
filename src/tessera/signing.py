"""Session-token signing keys: create, publish (JWKS), rotate, revoke, sign. No HTTP, no SQL.

Each instance has one current key; RS256 (what Clerk's own ``verifyToken`` accepts) unless
the instance selects EdDSA. Its id is the JWT's ``kid``. :func:`rotate` retires the current
key and keeps its public half in the JWKS until every token it signed has expired: a session
token lives as long as its session (``exp`` = the session's ``expire_at``), so that is the
later of "now + the instance's session lifetime" and the last expiry of any session so far.
:func:`revoke` is for a key that leaked: it leaves the JWKS at once (every node reads the JWKS
from the database on each request) and the sessions it signed are revoked in the same
transaction. Revoking the current key first makes a new one, in that same transaction.

Private keys never appear in a log, a response, an exception or a ``repr``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

from tessera import ids
from tessera.errors import Conflict, NotFound, ParamInvalid
from tessera.models import InstanceSettings, Session, SigningAlgorithm, SigningKey
from tessera.store import Store, UniqueViolation
from tessera.store.signing_keys import KeyChanged

__all__ = [
    "ALGORITHMS",
    "Revocation",
    "current",
    "generate",
    "issuer",
    "jwks",
    "revoke",
    "rewrap",
    "rotate",
    "sign_session_token",
]

log = logging.getLogger(__name__)
ALGORITHMS: tuple[SigningAlgorithm, ...] = ("RS256", "EdDSA")
RSA_BITS = 2048


def generate(instance_id: str, algorithm: SigningAlgorithm, *, now: datetime) -> SigningKey:
    """A fresh key pair (CPU-bound: RSA takes tens of milliseconds)."""
    private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        public_jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
        public_jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        raise ParamInvalid("signing_algorithm", "it must be RS256 or EdDSA")
    kid = ids.new_id("jwk", now)
    public_jwk.update(kid=kid, alg=algorithm, use="sig")
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return SigningKey(
        id=kid,
        instance_id=instance_id,
        algorithm=algorithm,
        status="current",
        public_jwk=public_jwk,
        private_pem=pem,
        created_at=now,
    )


async def current(store: Store, instance_id: str, *, now: datetime) -> SigningKey:
    """The instance's current key, made on first use. Two nodes racing to make it both end
    up with the one that the unique index let in."""
    key = await store.signing_keys.current(instance_id)
    if key is not None:
        return key
    settings = await store.instances.settings(instance_id)
    if settings is None:
        raise NotFound(f"No instance was found with id {instance_id}")
    fresh = await asyncio.to_thread(generate, instance_id, settings.signing_algorithm, now=now)
    try:
        await store.signing_keys.insert_current(fresh)
    except UniqueViolation:
        key = await store.signing_keys.current(instance_id)
        if key is None:  # pragma: no cover - the winner cannot vanish without a rotation
            raise
        return key
    log.info("created signing key %s (%s) for %s", fresh.id, fresh.algorithm, instance_id)
    return fresh


@dataclass(frozen=True)
class Revocation:
    """A revoked key (public half), the key made to replace it if it was the current one,
    and how many sessions were revoked with it."""

    key: SigningKey
    replacement: SigningKey | None
    sessions_revoked: int


async def _fresh(
    store: Store, instance_id: str, algorithm: SigningAlgorithm | None, *, now: datetime
) -> tuple[SigningKey, InstanceSettings]:
    """A new key of ``algorithm`` (which becomes the instance's setting) or of the setting."""
    settings = await store.instances.settings(instance_id)
    if settings is None:
        raise NotFound(f"No instance was found with id {instance_id}")
    if algorithm is not None and algorithm != settings.signing_algorithm:
        if algorithm not in ALGORITHMS:
            raise ParamInvalid("signing_algorithm", "it must be RS256 or EdDSA")
        await store.instances.update_settings(instance_id, {"signing_algorithm": algorithm})
    fresh = await asyncio.to_thread(
        generate, instance_id, algorithm or settings.signing_algorithm, now=now
    )
    return fresh, settings


async def rotate(
    store: Store,
    instance_id: str,
    *,
    now: datetime,
    algorithm: SigningAlgorithm | None = None,
) -> SigningKey:
    """Make a new current key (of ``algorithm``, or the instance's setting) and retire the old
    one, still published until every token it signed has expired. The new key."""
    fresh, settings = await _fresh(store, instance_id, algorithm, now=now)
    last_expiry = await store.sessions.latest_expiry(instance_id)
    publish_until = now + timedelta(seconds=settings.session_lifetime)
    if last_expiry is not None and last_expiry > publish_until:
        publish_until = last_expiry
    await store.signing_keys.rotate(fresh, now=now, publish_until=publish_until)
    await store.db.scrub()  # the old private key was erased: no copy left in a WAL
    log.info("rotated the signing key of %s: now %s (%s)", instance_id, fresh.id, fresh.algorithm)
    return fresh


async def revoke(
    store: Store,
    instance_id: str,
    key_id: str,
    *,
    now: datetime,
    algorithm: SigningAlgorithm | None = None,
) -> Revocation:
    """Revoke a key: unpublished at once, its private half erased, its sessions revoked, in
    one transaction. If it is the current key, a new one (of ``algorithm`` or the instance's
    setting) replaces it in that transaction. NotFound; Conflict if already revoked."""
    key = await store.signing_keys.get(instance_id, key_id)
    if key is None:
        raise NotFound(f"No signing key was found with id {key_id}")
    if key.status == "revoked":
        raise Conflict(f"The signing key {key_id} is already revoked.")
    replacement = None
    if key.status == "current":
        replacement, _ = await _fresh(store, instance_id, algorithm, now=now)
    try:
        count = await store.signing_keys.revoke(key, now=now, replacement=replacement)
    except KeyChanged:
        raise Conflict(f"The signing key {key_id} changed meanwhile: try again.") from None
    await store.db.scrub()  # its private key was erased: no copy left in a WAL
    log.warning("revoked signing key %s of %s and %d sessions", key.id, instance_id, count)
    revoked = await store.signing_keys.get(instance_id, key_id)
    return Revocation(revoked or key, replacement, count)


async def rewrap(store: Store) -> int:
    """Seal every private key of the database under the store's keyring (opening them with
    its current or previous key); how many were sealed anew. Their former form is erased."""
    count = await store.signing_keys.rewrap()
    await store.db.scrub()
    log.info("sealed %d signing keys under the current encryption key", count)
    return count


def issuer(public_url: str, instance_id: str) -> str:
    """The ``iss`` of an instance's session tokens; its JWKS: ``{iss}/.well-known/jwks.json``."""
    return f"{public_url}/instances/{instance_id}"


async def jwks(store: Store, instance_id: str, *, now: datetime) -> dict[str, Any]:
    """The instance's JSON Web Key Set: the current key first, then retired keys still
    verifying tokens (never a revoked one). Makes the first key if there is none, so
    verifiers never cache an empty set. Read from the database on every call: no cache."""
    keys = await store.signing_keys.published(instance_id, now=now)
    if not any(k.status == "current" for k in keys):
        await current(store, instance_id, now=now)
        keys = await store.signing_keys.published(instance_id, now=now)
    keys.sort(key=lambda k: k.status != "current")
    return {"keys": [k.public_jwk for k in keys]}


def sign_session_token(
    key: SigningKey, session: Session, *, issuer: str, now: datetime, azp: str | None = None
) -> str:
    """The session's token: ``sub``, ``sid``, ``iss``, ``iat``, ``nbf``, ``exp``, and ``azp``
    when the redemption names an authorised party; ``kid`` in the header. It expires with the
    session."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "sub": session.user_id,
        "sid": session.id,
        "iss": issuer,
        "iat": issued,
        "nbf": issued,
        "exp": int(session.expire_at.timestamp()),
    }
    if azp is not None:
        claims["azp"] = azp
    return jwt.encode(
        claims, _private_key(key.private_pem), algorithm=key.algorithm, headers={"kid": key.id}
    )


@functools.lru_cache(maxsize=16)
def _private_key(pem: str) -> Any:
    """The parsed key (parsing an RSA key costs milliseconds; the PEM is immutable per kid)."""
    if not pem:
        raise RuntimeError("a retired or revoked signing key cannot sign")
    return serialization.load_pem_private_key(pem.encode(), password=None)
