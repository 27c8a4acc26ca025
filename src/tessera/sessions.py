"""Sessions: what a redeemed ticket becomes. Reading, listing and revoking. No HTTP, no SQL.

A session is ``active`` until revoked (by the Backend API, or with its user's ban or delete)
or until ``expire_at`` (it then reads ``expired``). Its token is a JWT an app verifies offline
against the JWKS; offline verification cannot see a revocation, so an app that must notice
one at once asks ``GET /v1/sessions/{id}``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tessera import ids
from tessera.errors import NotFound, ParamInvalid, SessionNotRevocable
from tessera.models import InstanceSettings, Session, SignInToken
from tessera.store import Store
from tessera.store.sessions import STATUSES

__all__ = ["LIST_STATUSES", "count_sessions", "get", "list_sessions", "prepare", "revoke"]

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
