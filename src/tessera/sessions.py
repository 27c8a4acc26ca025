"""Sessions: what a redeemed ticket becomes. Reading, listing and revoking. No HTTP, no SQL.

A session is ``active`` until revoked (by the Backend API, or with its user's ban or delete)
or until ``expire_at`` (it then reads ``expired``). Its token is a JWT an app verifies offline
against the JWKS; offline verification cannot see a revocation, so an app that must notice
one at once asks ``GET /v1/sessions/{id}``.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from tessera import ids, signing
from tessera.errors import NotFound, ParamInvalid, SessionNotRevocable
from tessera.models import InstanceSettings, Session, SigningKey, SignInToken
from tessera.store import Store
from tessera.store.sessions import STATUSES, KeyRevoked

__all__ = [
    "LIST_STATUSES",
    "authorized_party",
    "count_sessions",
    "get",
    "list_sessions",
    "prepare",
    "revoke",
    "start",
]

log = logging.getLogger(__name__)

# Every status Clerk's API may filter by; Tessera only ever produces the first four.
LIST_STATUSES = (*STATUSES, "removed", "abandoned", "replaced", "pending")
MAX_CLIENT_FIELD = 512


def prepare(
    token: SignInToken,
    settings: InstanceSettings,
    *,
    now: datetime,
    client_address: str | None,
    user_agent: str | None,
) -> Session:
    """The session a redemption of ``token`` would start (stored only if the accept wins)."""
    expire_at = now + timedelta(seconds=settings.session_lifetime)
    return Session(
        id=ids.new_id("sess", now),
        instance_id=token.instance_id,
        user_id=token.user_id,
        client_id=ids.new_id("client", now),
        status="active",
        last_active_at=now,
        expire_at=expire_at,
        abandon_at=expire_at,
        created_at=now,
        updated_at=now,
        client_address=(client_address or None) and client_address[:MAX_CLIENT_FIELD],
        user_agent=(user_agent or None) and user_agent[:MAX_CLIENT_FIELD],
    )


def _origin(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL as browsers send it in ``Origin``
    (lower-case, no default port); ``None`` otherwise."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


def authorized_party(
    origin: str | None, token: SignInToken, settings: InstanceSettings
) -> str | None:
    """The session token's ``azp``: the redeeming request's ``Origin`` when it is the origin of
    one of the instance's app URLs (``sign_in_url``, ``after_sign_in_url``, an
    ``allowed_redirect_urls`` entry, the token's ``redirect_url``); otherwise (no Origin, the
    ``null`` of Tessera's own page, a foreign origin) the origin the sign-in lands on: the
    token's ``redirect_url``, else ``after_sign_in_url``, else ``sign_in_url``. ``None``
    (no ``azp`` claim) when the instance names none of these."""
    landing = (token.redirect_url, settings.after_sign_in_url, settings.sign_in_url)
    allowed = {_origin(url) for url in (*landing, *settings.allowed_redirect_urls)} - {None}
    requested = _origin(origin)
    if requested in allowed and (origin or "").lower() == requested:  # a bare origin only
        return requested
    return next((o for o in map(_origin, landing) if o is not None), None)


async def start(
    store: Store, token: SignInToken, session: Session, *, now: datetime
) -> tuple[SignInToken, Session, SigningKey] | None:
    """Accept ``token`` and store ``session`` for it, recording the instance's current key,
    which must still be live when the session is stored; the accepted token, the session and
    the key that is to sign its token. ``None`` when the accept matched nothing. A key revoked
    between reading it and storing the session leaves nothing changed: the next one is used."""
    for _ in range(3):
        key = await signing.current(store, token.instance_id, now=now)
        try:
            started = await store.sessions.start_with_ticket(
                token, replace(session, signing_key_id=key.id), now=now
            )
        except KeyRevoked:
            log.info("signing key %s was revoked during a redemption: retrying", key.id)
            continue
        return None if started is None else (*started, key)
    raise RuntimeError("the signing key was revoked three times during one redemption")


async def get(store: Store, instance_id: str, session_id: str) -> Session:
    session = None
    if ids.is_id(session_id, "sess"):
        session = await store.sessions.get(instance_id, session_id)
    if session is None:
        raise NotFound()
    return session


async def list_sessions(
    store: Store,
    instance_id: str,
    *,
    user_id: str | None = None,
    client_id: str | None = None,
    status: str | None = None,
    now: datetime,
    limit: int = 10,
    offset: int = 0,
) -> list[Session]:
    """Sessions of the instance, newest first, by user, client and status (as read now)."""
    if not _listable(status):
        return []
    return await store.sessions.search(
        instance_id,
        user_id=user_id,
        client_id=client_id,
        status=status,
        now=now,
        limit=limit,
        offset=offset,
    )


async def count_sessions(
    store: Store,
    instance_id: str,
    *,
    user_id: str | None = None,
    client_id: str | None = None,
    status: str | None = None,
    now: datetime,
) -> int:
    """How many sessions :func:`list_sessions` pages through with the same filters."""
    if not _listable(status):
        return 0
    return await store.sessions.count(
        instance_id, user_id=user_id, client_id=client_id, status=status, now=now
    )


def _listable(status: str | None) -> bool:
    """Whether a session can have ``status`` (ParamInvalid if Clerk has no such status)."""
    if status is not None and status not in LIST_STATUSES:
        raise ParamInvalid("status", f"it must be one of {', '.join(LIST_STATUSES)}")
    return status is None or status in STATUSES


async def revoke(store: Store, instance_id: str, session_id: str, *, now: datetime) -> Session:
    """active → revoked. NotFound, or SessionNotRevocable naming the status as read now."""
    if not ids.is_id(session_id, "sess"):
        raise NotFound()
    session = await store.sessions.revoke(instance_id, session_id, now=now)
    if session is None:
        current = await store.sessions.get(instance_id, session_id)
        if current is None:
            raise NotFound()
        raise SessionNotRevocable(current.status_at(now))
    log.info("revoked session %s of %s", session.id, session.user_id)
    return session
