"""Redemption: a ticket becomes a session, at most once. No HTTP, no SQL.

The order, and why:

1. Check the ticket's format and checksum: a malformed ticket is refused without a lookup.
2. Look the token up by the id the ticket names and compare the ticket's hash in constant
   time, then check it (pending, unexpired, user live). This read only prepares the session
   and answers the common failures early; it decides nothing.
3. Accept and start the session in one transaction, whose accept is ONE conditional UPDATE
   (pending, unexpired, user not banned → accepted); its row count decides. The user check is
   inside that statement, before the token is consumed: a banned or deleted user's ticket is
   refused without being used up (ban and delete revoke pending tokens anyway).
4. When the accept matches nothing, read the token again to name the reason.
5. Only a failure is counted against the client address's budget (one conditional upsert
   shared by every node). Over budget, the failure is answered :class:`TooManyRequests`
   instead of its reason, and nothing is written. A genuine, redeemable ticket is never
   refused by the limit: forging one is hopeless at 256 bits, so the limit only has to slow
   guessing down, and an attacker spending an address's budget must not lock out the people
   behind that address (an office NAT, or an app that redeems on its own server).

Every refusal is a :class:`TicketUnusable` subclass carrying Clerk's code; the reason is
logged with the token id, never with the ticket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from tessera import crypto, sessions, signing, tokens
from tessera.clock import to_ms
from tessera.errors import (
    SignInTokenAlreadyUsed,
    SignInTokenCannotBeUsed,
    SignInTokenRevoked,
    TicketExpired,
    TicketInvalid,
    TicketUnusable,
    TooManyRequests,
)
from tessera.logs import escape
from tessera.models import InstanceSettings, Session, SignInToken, User
from tessera.store import Store

__all__ = ["Preview", "RateLimit", "Redemption", "preview", "redeem"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    """At most ``attempts`` failed redemptions per client address per ``window`` seconds."""

    attempts: int
    window: int


@dataclass(frozen=True)
class Redemption:
    token: SignInToken
    user: User
    settings: InstanceSettings
    session: Session
    session_token: str = field(repr=False)  # the JWT; never stored, never logged


@dataclass(frozen=True)
class Preview:
    """What the link's page shows, read without changing anything. ``unusable`` is set when
    the token exists but cannot be redeemed now."""

    token: SignInToken
    settings: InstanceSettings
    user: User | None
    unusable: TicketUnusable | None


async def lookup(store: Store, ticket: str) -> SignInToken:
    """The token a ticket names; TicketInvalid if malformed (no lookup then) or unknown."""
    token_id = tokens.token_id_in(ticket)
    if token_id is None and not tokens.is_legacy_ticket(ticket):
        log.info("refused a sign-in ticket: malformed")
        raise TicketInvalid()
    digest = crypto.hash_secret(ticket)
    if token_id is None:  # the first format names no token: its hash leads to it
        token_id = await store.tokens.legacy_id(digest)
    token = None if token_id is None else await store.tokens.get_any(token_id)
    if token is None or not crypto.constant_time_equal(token.token_hash, digest):
        log.info("refused a sign-in ticket: no such token")
        raise TicketInvalid()
    return token


async def _why_unusable(
    store: Store, token: SignInToken, user: User | None, *, now: datetime
) -> TicketUnusable | None:
    """Why ``token`` cannot be redeemed now, or ``None`` if it can. Used beats a gone user
    (the loser of a race hears "already used"); a gone user beats revoked or expired."""
    reason: TicketUnusable | None = None
    if token.status == "accepted":
        reason = SignInTokenAlreadyUsed()
    elif user is None or user.banned:
        reason = SignInTokenCannotBeUsed()
    elif token.status == "revoked":
        reason = SignInTokenRevoked()
    elif token.expires_at <= now:
        reason = TicketExpired()
    if reason is not None:
        log.info("refused sign-in token %s: %s", token.id, reason.code)
    return reason


async def preview(store: Store, ticket: str, *, now: datetime) -> Preview:
    """Read what a ticket would do, changing nothing (link scanners fetch links)."""
    token = await lookup(store, ticket)
    settings = await store.instances.settings(token.instance_id)
    if settings is None:  # pragma: no cover - instances are never deleted
        raise TicketInvalid()
    user = await store.users.get(token.instance_id, token.user_id)
    unusable = await _why_unusable(store, token, user, now=now)
    return Preview(token, settings, user, unusable)


async def redeem(
    store: Store,
    ticket: str,
    *,
    now: datetime,
    public_url: str,
    client_address: str | None = None,
    user_agent: str | None = None,
    limit: RateLimit | None = None,
    origin: str | None = None,
) -> Redemption:
    """Exchange a ticket for a new session and its token, at most once. The token's ``iss``
    is the instance's issuer under ``public_url``; its ``azp`` comes from ``origin`` (the
    request's Origin header), see :func:`sessions.authorized_party`."""
    try:
        return await _redeem(store, ticket, now, public_url, client_address, user_agent, origin)
    except TicketUnusable:
        if limit is not None and limit.attempts > 0:
            await _count_failure(store, client_address, limit, now=now)
        raise


async def _count_failure(
    store: Store, client_address: str | None, limit: RateLimit, *, now: datetime
) -> None:
    """Spend one failure of the address's budget; TooManyRequests, writing nothing, when it
    is spent. The read first keeps a flood of over-limit failures off the write path."""
    bucket = f"redeem:{client_address or 'unknown'}"
    window_ms = limit.window * 1000
    window_start = to_ms(now) - to_ms(now) % window_ms
    hits: int | None = None
    if await store.rate_limits.hits(bucket, window_start) < limit.attempts:
        hits = await store.rate_limits.hit(bucket, window_start, limit=limit.attempts)
    if hits is None:
        retry_after = -(-(window_start + window_ms - to_ms(now)) // 1000)
        log.warning("redemptions from %s over the limit", escape(client_address or "unknown"))
        raise TooManyRequests(max(1, retry_after))
    if hits == 1:  # this address starts a window: sweep buckets no window can still use
        await store.rate_limits.prune(window_start - window_ms)


async def _redeem(
    store: Store,
    ticket: str,
    now: datetime,
    public_url: str,
    client_address: str | None,
    user_agent: str | None,
    origin: str | None,
) -> Redemption:
    view = await preview(store, ticket, now=now)
    if view.unusable is not None:
        raise view.unusable
    assert view.user is not None  # usable implies a live user
    session = sessions.prepare(
        view.token, view.settings, now=now, client_address=client_address, user_agent=user_agent
    )
    started = await sessions.start(store, view.token, session, now=now)
    if started is None:
        token = await store.tokens.get_any(view.token.id) or view.token
        user = await store.users.get(token.instance_id, token.user_id)
        raise await _why_unusable(store, token, user, now=now) or SignInTokenCannotBeUsed()
    token, session, key = started
    log.info("sign-in token %s redeemed: session %s for %s", token.id, session.id, token.user_id)
    issuer = signing.issuer(public_url, token.instance_id)
    azp = sessions.authorized_party(origin, token, view.settings)
    jwt = signing.sign_session_token(key, session, issuer=issuer, now=now, azp=azp)
    return Redemption(token, view.user, view.settings, session, jwt)
