"""Sessions. Starting one consumes its sign-in token in the same transaction.

The accept (``tokens.accept_pending``) is the one statement whose row count decides who wins a
ticket; the session INSERT rides in its transaction, so a committed accept always has its
session and a failed INSERT gives the token back. ``sign_in_token_id`` is unique as well.

The INSERT records the key that signs the session's token and inserts only while that key is
not revoked (``INSERT … SELECT … FROM signing_keys WHERE status <> 'revoked'``); on
PostgreSQL it takes a ``FOR SHARE`` lock on the key's row, so a concurrent revoke either waits
for this transaction (and then revokes the new session) or wins first (and the INSERT finds no
live key). See ARCHITECTURE.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from tessera.clock import from_ms, to_ms
from tessera.models import Session, SessionStatus, SignInToken
from tessera.store.database import Database, Row
from tessera.store.tokens import accept_pending

__all__ = ["STATUSES", "KeyRevoked", "Sessions", "revoke_active_of_user"]

STATUSES = ("active", "revoked", "ended", "expired")
COLUMNS = (
    "id, instance_id, user_id, client_id, status, last_active_at, expire_at, abandon_at, "
    "created_at, updated_at, sign_in_token_id, client_address, user_agent, signing_key_id"
)
# The new session's values, then its key's id from the key's row, only while it is live.
_START = (
    f"INSERT INTO sessions ({COLUMNS}) SELECT ?, ?, ?, ?, ?, "
    + ", ".join(["CAST(? AS BIGINT)"] * 5)
    + ", ?, ?, ?, id FROM signing_keys WHERE id = ? AND instance_id = ? AND status <> 'revoked'"
)


class KeyRevoked(Exception):
    """The session's signing key was revoked before the session could be stored."""


def _session(row: Row) -> Session:
    return Session(
        id=row[0],
        instance_id=row[1],
        user_id=row[2],
        client_id=row[3],
        status=cast(SessionStatus, row[4]),
        last_active_at=from_ms(row[5]),
        expire_at=from_ms(row[6]),
        abandon_at=from_ms(row[7]),
        created_at=from_ms(row[8]),
        updated_at=from_ms(row[9]),
        sign_in_token_id=row[10],
        client_address=row[11],
        user_agent=row[12],
        signing_key_id=row[13],
    )


def _status_filter(status: str, now_ms: int) -> tuple[str, list[Any]]:
    """SQL for a status as read: an active session past its expiry reads ``expired``."""
    if status == "active":
        return "status = 'active' AND expire_at > ?", [now_ms]
    if status == "expired":
        return "(status = 'expired' OR (status = 'active' AND expire_at <= ?))", [now_ms]
    return "status = ?", [status]


def _search_where(
    instance_id: str, user_id: str | None, client_id: str | None, status: str | None, now: datetime
) -> tuple[str, list[Any]]:
    where, params = "instance_id = ?", [instance_id]
    for column, value in (("user_id", user_id), ("client_id", client_id)):
        if value is not None:
            where += f" AND {column} = ?"
            params.append(value)
    if status is not None:
        clause, values = _status_filter(status, to_ms(now))
        where += f" AND {clause}"
        params += values
    return where, params


class Sessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def start_with_ticket(
        self, token: SignInToken, session: Session, *, now: datetime
    ) -> tuple[SignInToken, Session] | None:
        """Accept ``token`` (still pending, its ticket's hash unchanged) and insert ``session``
        for it, atomically.

        ``session`` is prepared by the caller for the token it expects, with the id of the key
        that will sign its token; ``None`` when the accept matched no row (lost the race, not
        pending, expired, user gone or banned); KeyRevoked, and nothing changed, when that key
        is revoked.
        """
        if session.signing_key_id is None:
            raise ValueError("a new session names its signing key")
        async with self._db.transaction() as tx:
            accepted = await accept_pending(tx, token, now=now)
            if accepted is None:
                return None
            if (accepted.instance_id, accepted.user_id) != (session.instance_id, session.user_id):
                raise RuntimeError("the ticket's token changed under the redemption")
            lock = " FOR SHARE" if tx.dialect == "postgresql" else ""
            inserted = await tx.execute(
                _START + lock,
                session.id,
                session.instance_id,
                session.user_id,
                session.client_id,
                session.status,
                to_ms(session.last_active_at),
                to_ms(session.expire_at),
                to_ms(session.abandon_at),
                to_ms(session.created_at),
                to_ms(session.updated_at),
                accepted.id,
                session.client_address,
                session.user_agent,
                session.signing_key_id,
                session.instance_id,
            )
            if inserted != 1:
                raise KeyRevoked(session.signing_key_id)  # rolls the accept back
            await tx.execute(
                "UPDATE users SET last_sign_in_at = ?, last_active_at = ? "
                "WHERE id = ? AND instance_id = ?",
                to_ms(now),
                to_ms(now),
                accepted.user_id,
                accepted.instance_id,
            )
        return accepted, session

    async def get(self, instance_id: str, session_id: str) -> Session | None:
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM sessions WHERE id = ? AND instance_id = ?",
            session_id,
            instance_id,
        )
        return None if row is None else _session(row)

    async def search(
        self,
        instance_id: str,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        status: str | None = None,
        now: datetime,
        limit: int,
        offset: int,
    ) -> list[Session]:
        """A page of sessions, newest first; ``status`` as read at ``now``."""
        where, params = _search_where(instance_id, user_id, client_id, status, now)
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM sessions WHERE {where} "
            "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            *params,
            limit,
            offset,
        )
        return [_session(r) for r in rows]

    async def count(
        self,
        instance_id: str,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        status: str | None = None,
        now: datetime,
    ) -> int:
        """How many sessions :meth:`search` would page through."""
        where, params = _search_where(instance_id, user_id, client_id, status, now)
        row = await self._db.fetchone(f"SELECT COUNT(*) FROM sessions WHERE {where}", *params)
        return 0 if row is None else int(row[0])

    async def revoke(self, instance_id: str, session_id: str, *, now: datetime) -> Session | None:
        """active and unexpired → revoked, in one statement; ``None`` when it was not."""
        row = await self._db.fetchone(
            "UPDATE sessions SET status = 'revoked', updated_at = ? "
            "WHERE id = ? AND instance_id = ? AND status = 'active' AND expire_at > ? "
            f"RETURNING {COLUMNS}",
            to_ms(now),
            session_id,
            instance_id,
            to_ms(now),
        )
        return None if row is None else _session(row)

    async def latest_expiry(self, instance_id: str) -> datetime | None:
        """When the last session of the instance (so the last token signed for it) expires."""
        row = await self._db.fetchone(
            "SELECT MAX(expire_at) FROM sessions WHERE instance_id = ?", instance_id
        )
        return None if row is None or row[0] is None else from_ms(row[0])


async def revoke_active_of_user(
    db: Database, instance_id: str, user_id: str, *, now: datetime
) -> int:
    """Revoke every active session of a user (inside the caller's transaction); how many."""
    return await db.execute(
        "UPDATE sessions SET status = 'revoked', updated_at = ? "
        "WHERE instance_id = ? AND user_id = ? AND status = 'active'",
        to_ms(now),
        instance_id,
        user_id,
    )
