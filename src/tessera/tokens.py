"""Sign-in tokens: the rules for creating, reading and revoking them. No HTTP, no SQL.

A ticket (the secret in a sign-in link) is ``tsit_`` + the token id's 27 characters + 256
random bits + a checksum; only its SHA-256 is stored, so it is shown once, by :func:`create`,
and never again. The id in it finds the token by primary key; the hash is then compared in
constant time (so no index on a random hash is written by every create).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import quote

from tessera import crypto, ids, instance_settings
from tessera.errors import NotFound, ParamInvalid, SignInTokenNotRevocable
from tessera.models import SignInToken
from tessera.store import Store

__all__ = [
    "DEFAULT_LIFETIME",
    "MAX_LIFETIME",
    "TICKET_PREFIX",
    "create",
    "get",
    "is_legacy_ticket",
    "link",
    "new_ticket",
    "revoke",
    "revoke_all_of_user",
    "token_id_in",
]

log = logging.getLogger(__name__)

TICKET_PREFIX = "tsit_"
_ID_HEAD = "sit_"
DEFAULT_LIFETIME = 30 * 86400  # Clerk's default: 30 days
MAX_LIFETIME = 100 * 365 * 86400  # beyond this a lifetime is an input error, not a wish


def new_ticket(token_id: str) -> str:
    """A fresh ticket for the token ``token_id`` (``sit_…``): its 27 characters, then 256 bits."""
    return crypto.new_secret(TICKET_PREFIX, selector=token_id[len(_ID_HEAD) :])


def token_id_in(ticket: str) -> str | None:
    """The id of the token a well-formed ticket names; ``None`` for any other string."""
    if not crypto.is_well_formed(ticket, TICKET_PREFIX, ids.ID_LENGTH):
        return None
    return _ID_HEAD + ticket[len(TICKET_PREFIX) : len(TICKET_PREFIX) + ids.ID_LENGTH]


def is_legacy_ticket(ticket: str) -> bool:
    """Whether ``ticket`` is well formed in the first format, which named no token (tickets
    issued before schema version 4): its token is found through ``legacy_tickets``."""
    return crypto.is_well_formed(ticket, TICKET_PREFIX)


def link(public_url: str, ticket: str) -> str:
    """The sign-in link: always from the configured public URL, never from a request's Host."""
    return f"{public_url}/v1/tickets/accept?ticket={quote(ticket, safe='')}"


async def create(
    store: Store,
    instance_id: str,
    user_id: str,
    *,
    expires_in_seconds: int | None,
    max_lifetime: int | None,
    now: datetime,
    redirect_url: str | None = None,
) -> tuple[SignInToken, str]:
    """A new pending token for an existing user of the instance, and its ticket.

    ``redirect_url`` (where the link's Continue lands) must be on the instance's allow-list:
    refused here, at create time, never silently replaced at redemption.
    """
    lifetime = DEFAULT_LIFETIME if expires_in_seconds is None else expires_in_seconds
    if lifetime < 1 or lifetime > MAX_LIFETIME:
        raise ParamInvalid("expires_in_seconds", "it must be a whole number of seconds from 1")
    if max_lifetime is not None and lifetime > max_lifetime:
        raise ParamInvalid(
            "expires_in_seconds", f"this server allows at most {max_lifetime} seconds"
        )
    if redirect_url is not None:
        instance_settings.check_url("redirect_url", redirect_url)
        settings = await instance_settings.get(store, instance_id)
        if not instance_settings.redirect_allowed(settings, redirect_url):
            raise ParamInvalid(
                "redirect_url", "it is not one of this instance's allowed redirect URLs"
            )
    token_id = ids.new_id("sit", now)
    ticket = new_ticket(token_id)
    token = SignInToken(
        id=token_id,
        instance_id=instance_id,
        user_id=user_id,
        token_hash=crypto.hash_secret(ticket),
        status="pending",
        expires_at=now + timedelta(seconds=lifetime),
        created_at=now,
        updated_at=now,
        redirect_url=redirect_url,
    )
    if not await store.tokens.insert(token):
        raise NotFound(f"No user was found with id {user_id}")
    log.debug("created sign-in token %s for %s", token.id, user_id)
    return token, ticket


async def get(store: Store, instance_id: str, token_id: str) -> SignInToken:
    token = None
    if ids.is_id(token_id, "sit"):
        token = await store.tokens.get(instance_id, token_id)
    if token is None:
        raise NotFound()
    return token


async def revoke(store: Store, instance_id: str, token_id: str, *, now: datetime) -> SignInToken:
    """pending → revoked. NotFound, or SignInTokenNotRevocable naming the current status."""
    if not ids.is_id(token_id, "sit"):
        raise NotFound()
    token = await store.tokens.revoke(instance_id, token_id, now=now)
    if token is None:
        current = await store.tokens.get(instance_id, token_id)
        if current is None:
            raise NotFound()
        raise SignInTokenNotRevocable(current.status)
    log.debug("revoked sign-in token %s", token_id)
    return token


async def revoke_all_of_user(store: Store, instance_id: str, user_id: str, *, now: datetime) -> int:
    """Revoke every pending token of a user of the instance; how many. NotFound for no user."""
    if not ids.is_id(user_id, "user") or await store.users.get(instance_id, user_id) is None:
        raise NotFound(f"No user was found with id {user_id}")
    count = await store.tokens.revoke_all_of_user(instance_id, user_id, now=now)
    log.debug("revoked %d pending sign-in tokens of %s", count, user_id)
    return count
