"""Users: the rules for creating, changing, banning and deleting them. No HTTP, no SQL."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson

from tessera import ids, json_values
from tessera.errors import NotFound, ParamFormatInvalid, ParamTooLarge
from tessera.models import EmailAddress, User
from tessera.store import Store
from tessera.user_query import UserQuery

__all__ = [
    "MAX_EMAIL_ADDRESSES",
    "MAX_METADATA_BYTES",
    "ban",
    "count_users",
    "create",
    "delete",
    "get",
    "list_users",
    "normalize_email",
    "update",
]

log = logging.getLogger(__name__)

# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_MAX_EMAIL = 320
MAX_EMAIL_ADDRESSES = 100
MAX_METADATA_BYTES = 8192  # each metadata object, as compact JSON (Clerk's 8 KB)
_METADATA = ("public_metadata", "private_metadata")


def normalize_email(address: str) -> str:
    """The stored form of an email address (trimmed, lower case); ParamFormatInvalid if bad."""
    address = address.strip().lower()
    if (
        len(address) > _MAX_EMAIL
        or not _EMAIL.fullmatch(address)
        or json_values.has_surrogate(address)
    ):
        raise ParamFormatInvalid("email_address", "a valid email address")
    return address


def _email_addresses(addresses: Sequence[str], now: datetime) -> tuple[EmailAddress, ...]:
    """The addresses normalized, duplicates dropped (first kept, in order), at most 100."""
    if len(addresses) > MAX_EMAIL_ADDRESSES:
        raise ParamTooLarge("email_address", f"{MAX_EMAIL_ADDRESSES} addresses")
    unique = dict.fromkeys(normalize_email(a) for a in addresses)
    return tuple(EmailAddress(ids.new_id("idn", now), a, now) for a in unique)


def _check_fields(fields: dict[str, Any]) -> None:
    """Every field storable (see json_values: the CLI reaches here without the API's checks),
    each metadata object at most 8 KB as compact JSON."""
    for name, value in fields.items():
        json_values.check(name, value)
    for name in _METADATA:
        if name in fields and len(orjson.dumps(fields[name])) > MAX_METADATA_BYTES:
            raise ParamTooLarge(name, f"{MAX_METADATA_BYTES} bytes (8 KB)")


async def create(
    store: Store,
    instance_id: str,
    *,
    email_addresses: Sequence[str] = (),
    now: datetime,
    **fields: Any,
) -> User:
    """A new user; ``fields`` are the updatable columns (names, external_id, metadata)."""
    emails = _email_addresses(email_addresses, now)
    _check_fields(fields)
    user = User(
        id=ids.new_id("user", now),
        instance_id=instance_id,
        created_at=now,
        updated_at=now,
        email_addresses=emails,
        **fields,
    )
    await store.users.insert(user)
    log.debug("created user %s", user.id)
    return user


async def get(store: Store, instance_id: str, user_id: str) -> User:
    user = await store.users.get(instance_id, user_id) if ids.is_id(user_id, "user") else None
    if user is None:
        raise NotFound()
    return user


async def list_users(store: Store, instance_id: str, query: UserQuery) -> list[User]:
    """The page of users ``query`` asks for (see :mod:`tessera.user_query`)."""
    return await store.users.search(instance_id, _normalized(query))


async def count_users(store: Store, instance_id: str, query: UserQuery) -> int:
    """How many users match ``query``'s filters."""
    return await store.users.count(instance_id, _normalized(query))


def _normalized(query: UserQuery) -> UserQuery:
    """Email addresses compared as they are stored: trimmed, lower case."""
    emails = tuple(a.strip().lower() for a in query.email_addresses)
    return replace(query, email_addresses=emails)


async def update(
    store: Store, instance_id: str, user_id: str, changes: dict[str, Any], *, now: datetime
) -> User:
    _check_fields(changes)
    user = None
    if ids.is_id(user_id, "user"):
        user = await store.users.update(instance_id, user_id, changes, now=now)
    if user is None:
        raise NotFound()
    return user


async def delete(store: Store, instance_id: str, user_id: str, *, now: datetime) -> None:
    """Delete a user; their pending sign-in tokens are revoked with it."""
    if not ids.is_id(user_id, "user") or not await store.users.delete(
        instance_id, user_id, now=now
    ):
        raise NotFound()
    log.debug("deleted user %s", user_id)


async def ban(store: Store, instance_id: str, user_id: str, *, banned: bool, now: datetime) -> User:
    """Ban (revoking the user's pending tokens) or unban a user."""
    user = None
    if ids.is_id(user_id, "user"):
        user = await store.users.set_banned(instance_id, user_id, banned, now=now)
    if user is None:
        raise NotFound()
    log.debug("%s user %s", "banned" if banned else "unbanned", user_id)
    return user
