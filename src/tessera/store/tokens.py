"""Sign-in tokens. Each state change is one conditional statement whose row count decides."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from tessera.clock import from_ms, to_ms
from tessera.models import SignInToken, TokenStatus
from tessera.store.database import Database, Row

__all__ = ["Tokens", "accept_pending", "revoke_pending_of_user", "token_from_row"]

COLUMNS = (
    "id, instance_id, user_id, token_hash, status, expires_at, created_at, updated_at, redirect_url"
)


def token_from_row(row: Row) -> SignInToken:
    return SignInToken(
        id=row[0],
        instance_id=row[1],
        user_id=row[2],
        token_hash=row[3],
        status=cast(TokenStatus, row[4]),
        expires_at=from_ms(row[5]),
        created_at=from_ms(row[6]),
        updated_at=from_ms(row[7]),
        redirect_url=row[8],
    )


class Tokens:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, token: SignInToken) -> bool:
        """Store ``token`` if its user exists in its instance (one statement); whether it did."""
        inserted = await self._db.execute(
            f"INSERT INTO sign_in_tokens ({COLUMNS}) "
            "SELECT ?, ?, ?, ?, 'pending', ?, ?, ?, ? "
            "WHERE EXISTS (SELECT 1 FROM users WHERE id = ? AND instance_id = ?)",
            token.id,
            token.instance_id,
            token.user_id,
            token.token_hash,
            to_ms(token.expires_at),
            to_ms(token.created_at),
            to_ms(token.updated_at),
            token.redirect_url,
            token.user_id,
            token.instance_id,
        )
        return inserted == 1

    async def get(self, instance_id: str, token_id: str) -> SignInToken | None:
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM sign_in_tokens WHERE id = ? AND instance_id = ?",
            token_id,
            instance_id,
        )
        return None if row is None else token_from_row(row)

    async def search(
        self,
        instance_id: str,
        *,
        user_id: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[SignInToken], int]:
        """One page, newest first, and the total count matching the filters."""
        where = "instance_id = ?"
        params: list[object] = [instance_id]
        if user_id is not None:
            where += " AND user_id = ?"
            params.append(user_id)
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        total = await self._db.fetchone(
            f"SELECT COUNT(*) FROM sign_in_tokens WHERE {where}", *params
        )
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM sign_in_tokens WHERE {where} "
            "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            *params,
            limit,
            offset,
        )
        return [token_from_row(r) for r in rows], int(total[0]) if total else 0

    async def get_any(self, token_id: str) -> SignInToken | None:
        """The token with this id in any instance (a ticket names it; redemption's lookup)."""
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM sign_in_tokens WHERE id = ?", token_id
        )
        return None if row is None else token_from_row(row)

    async def legacy_id(self, token_hash: str) -> str | None:
        """The id of the token whose first-format ticket hashes to ``token_hash``."""
        row = await self._db.fetchone(
            "SELECT token_id FROM legacy_tickets WHERE token_hash = ?", token_hash
        )
        return None if row is None else str(row[0])

    async def revoke(self, instance_id: str, token_id: str, *, now: datetime) -> SignInToken | None:
        """pending → revoked, atomically; ``None`` when the token is not (or no longer) pending."""
        row = await self._db.fetchone(
            "UPDATE sign_in_tokens SET status = 'revoked', updated_at = ? "
            f"WHERE id = ? AND instance_id = ? AND status = 'pending' RETURNING {COLUMNS}",
            to_ms(now),
            token_id,
            instance_id,
        )
        return None if row is None else token_from_row(row)

    async def revoke_all_of_user(self, instance_id: str, user_id: str, *, now: datetime) -> int:
        """Revoke every pending token of a user; how many."""
        return await revoke_pending_of_user(self._db, instance_id, user_id, now=now)


async def revoke_pending_of_user(
    db: Database, instance_id: str, user_id: str, *, now: datetime
) -> int:
    return await db.execute(
        "UPDATE sign_in_tokens SET status = 'revoked', updated_at = ? "
        "WHERE instance_id = ? AND user_id = ? AND status = 'pending'",
        to_ms(now),
        instance_id,
        user_id,
    )


async def accept_pending(db: Database, token: SignInToken, *, now: datetime) -> SignInToken | None:
    """pending, unexpired, its user live → accepted, in ONE statement; ``None`` otherwise.

    The row count decides: of any number of concurrent callers, exactly one gets the row.
    The user check sits in the same statement, so a ban or delete that committed first makes
    the accept fail rather than consume the token.
    """
    row = await db.fetchone(
        "UPDATE sign_in_tokens SET status = 'accepted', updated_at = ? "
        "WHERE id = ? AND token_hash = ? AND status = 'pending' AND expires_at > ? "
        "AND EXISTS (SELECT 1 FROM users WHERE users.id = sign_in_tokens.user_id "
        "AND users.instance_id = sign_in_tokens.instance_id AND users.banned = FALSE) "
        f"RETURNING {COLUMNS}",
        to_ms(now),
        token.id,
        token.token_hash,
        to_ms(now),
    )
    return None if row is None else token_from_row(row)
