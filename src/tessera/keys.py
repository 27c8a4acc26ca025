"""Instances and their secret keys: creation, the first-start bootstrap, authentication."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from tessera import crypto, ids
from tessera.config import SECRET_KEY_PREFIXES
from tessera.errors import ConfigError, NotFound, SecretKeyInvalid
from tessera.models import ApiKey, Instance
from tessera.store import Store, UniqueViolation

__all__ = [
    "authenticate",
    "bootstrap",
    "create_instance",
    "create_key",
    "has_live_key",
    "list_keys",
    "new_secret_key",
    "revoke_key",
]

log = logging.getLogger(__name__)
DISPLAY_PREFIX_LENGTH = 12  # "sk_test_" + 4 characters: enough to tell keys apart, not to guess


def new_secret_key(environment: Literal["test", "live"] = "test") -> str:
    """A fresh secret key, ``sk_test_…`` or ``sk_live_…`` (256 random bits and a checksum)."""
    return crypto.new_secret(f"sk_{environment}_")


async def create_instance(store: Store, name: str, *, now: datetime) -> Instance:
    instance = Instance(id=ids.new_id("ins", now), name=name, created_at=now)
    await store.instances.create(instance)
    log.info("created instance %s", instance.id)
    return instance


async def create_key(
    store: Store, instance_id: str, *, now: datetime, secret: str | None = None
) -> tuple[ApiKey, str]:
    """Register a secret key (a new one unless given) for an instance; the key and its secret."""
    secret = secret or new_secret_key()
    key = ApiKey(
        id=ids.new_id("ak", now),
        instance_id=instance_id,
        key_hash=crypto.hash_secret(secret),
        prefix=secret[:DISPLAY_PREFIX_LENGTH],
        created_at=now,
    )
    await store.instances.add_key(key)
    log.info("created secret key %s (%s…) for %s", key.id, key.prefix, instance_id)
    return key, secret


async def list_keys(store: Store, instance_id: str) -> list[ApiKey]:
    """Every key of an instance, revoked ones included, oldest first."""
    if await store.instances.get(instance_id) is None:
        raise NotFound(f"No instance was found with id {instance_id}")
    return await store.instances.keys(instance_id)


async def revoke_key(store: Store, instance_id: str, key_id: str, *, now: datetime) -> ApiKey:
    """Revoke a live key of the instance: it opens nothing from now on. NotFound otherwise."""
    if not await store.instances.revoke_key(instance_id, key_id, now=now):
        raise NotFound(f"No live secret key was found with id {key_id}")
    log.info("revoked secret key %s of %s", key_id, instance_id)
    revoked = [k for k in await store.instances.keys(instance_id) if k.id == key_id]
    return revoked[0]


async def authenticate(store: Store, secret: str) -> str:
    """The instance a secret key belongs to; SecretKeyInvalid for anything else."""
    prefix = secret[:8]  # on every request: no more work than the check needs
    if prefix not in SECRET_KEY_PREFIXES or not crypto.is_well_formed(secret, prefix):
        raise SecretKeyInvalid()
    digest = crypto.hash_secret(secret)
    found = await store.instances.instance_for_key(digest)
    # The lookup is by hash; comparing again in constant time costs nothing and keeps the
    # decision independent of how the index matched.
    if found is None or not crypto.constant_time_equal(found[1], digest):
        raise SecretKeyInvalid()
    return found[0]


async def bootstrap(
    store: Store, secret_key: str | None, *, now: datetime, make_key: bool = False
) -> str | None:
    """Make sure a default instance exists and ``secret_key`` (if given) opens it.

    With ``make_key`` and no key given, an instance that has no live key gets a new one,
    returned so that the caller can show it once to the operator. Nothing here logs a secret.
    Nodes starting together on one empty database take turns (an exclusive transaction), so
    they make one default instance between them, not one each.
    """
    async with store.exclusive() as setup:
        instance = await setup.instances.first()
        if instance is None:
            instance = await create_instance(setup, "default", now=now)
        if secret_key is not None:
            if await setup.instances.key_by_hash(crypto.hash_secret(secret_key)) is None:
                try:
                    await create_key(setup, instance.id, now=now, secret=secret_key)
                except UniqueViolation:
                    raise ConfigError(
                        "TESSERA_SECRET_KEY was revoked: unset it, or set a key that is live."
                    ) from None
            return None
        if make_key and not await has_live_key(setup, instance.id):
            _, secret = await create_key(setup, instance.id, now=now)
            return secret
        return None


async def has_live_key(store: Store, instance_id: str) -> bool:
    return any(k.revoked_at is None for k in await store.instances.keys(instance_id))
