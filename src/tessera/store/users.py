"""Users and their email addresses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from tessera.clock import from_ms, to_ms
from tessera.errors import IdentifierExists
from tessera.models import EmailAddress, User
from tessera.store.database import Database, Row, UniqueViolation
from tessera.store.sessions import revoke_active_of_user
from tessera.store.tokens import revoke_pending_of_user
from tessera.store.user_search import filtered_sql, order_sql
from tessera.user_query import UserQuery

__all__ = ["UPDATABLE", "Users"]

_INSERTED = (
    "id, instance_id, external_id, username, first_name, last_name, public_metadata, "
    "private_metadata, banned, last_sign_in_at, created_at, updated_at"
)
_COLUMNS = _INSERTED + ", last_active_at"  # a new user has not been active
UPDATABLE = frozenset(
    {"external_id", "username", "first_name", "last_name", "public_metadata", "private_metadata"}
)
_JSON = frozenset({"public_metadata", "private_metadata"})


def _user(row: Row, emails: Sequence[EmailAddress]) -> User:
    return User(
        id=row[0],
        instance_id=row[1],
        external_id=row[2],
        username=row[3],
        first_name=row[4],
        last_name=row[5],
        public_metadata=orjson.loads(row[6]),
        private_metadata=orjson.loads(row[7]),
        banned=bool(row[8]),
        last_sign_in_at=None if row[9] is None else from_ms(row[9]),
        created_at=from_ms(row[10]),
        updated_at=from_ms(row[11]),
        email_addresses=tuple(emails),
        last_active_at=None if row[12] is None else from_ms(row[12]),
    )


def _param_of(violation: UniqueViolation) -> str:
    """Which request parameter a unique index guards (the index or column names say)."""
    for hint, param in (("email", "email_address"), ("external_id", "external_id")):
        if hint in violation.detail:
            return param
    return "username"


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def insert(self, user: User) -> None:
        """Store a new user and its email addresses; IdentifierExists if one is taken."""
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    f"INSERT INTO users ({_INSERTED}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    user.id,
                    user.instance_id,
                    user.external_id,
                    user.username,
                    user.first_name,
                    user.last_name,
                    orjson.dumps(user.public_metadata).decode(),
                    orjson.dumps(user.private_metadata).decode(),
                    user.banned,
                    None,
                    to_ms(user.created_at),
                    to_ms(user.updated_at),
                )
                for position, email in enumerate(user.email_addresses):
                    await tx.execute(
                        "INSERT INTO email_addresses (id, instance_id, user_id, email_address, "
                        "position, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        email.id,
                        user.instance_id,
                        user.id,
                        email.email_address,
                        position,
                        to_ms(email.created_at),
                    )
        except UniqueViolation as exc:
            raise IdentifierExists(_param_of(exc)) from None

    async def get(self, instance_id: str, user_id: str) -> User | None:
        where = "users u WHERE u.id = ? AND u.instance_id = ?"
        users = await self._select(where, [user_id, instance_id], "u.id", 1, 0)
        return users[0] if users else None

    async def search(self, instance_id: str, query: UserQuery) -> list[User]:
        """The page of users ``query`` asks for, in its order (one statement for the users,
        one for their email addresses)."""
        filtered, params = filtered_sql(instance_id, query)
        return await self._select(filtered, params, order_sql(query), query.limit, query.offset)

    async def count(self, instance_id: str, query: UserQuery) -> int:
        """How many users match ``query``'s filters (its order and page aside)."""
        filtered, params = filtered_sql(instance_id, query)
        row = await self._db.fetchone(f"SELECT COUNT(*) FROM {filtered}", *params)
        return 0 if row is None else int(row[0])

    async def _select(
        self, filtered: str, params: list[Any], order: str, limit: int, offset: int
    ) -> list[User]:
        """Users ``FROM {filtered}`` (a source and its WHERE) in ``order``, with their emails."""
        columns = ", ".join(f"u.{c}" for c in _COLUMNS.split(", "))
        rows = await self._db.fetchall(
            f"SELECT {columns} FROM {filtered} ORDER BY {order} LIMIT ? OFFSET ?",
            *params,
            limit,
            offset,
        )
        if not rows:
            return []
        ids = [r[0] for r in rows]
        email_rows = await self._db.fetchall(
            "SELECT user_id, id, email_address, created_at FROM email_addresses "
            f"WHERE user_id IN ({', '.join('?' * len(ids))}) ORDER BY user_id, position",
            *ids,
        )
        emails: dict[str, list[EmailAddress]] = {}
        for user_id, email_id, address, created in email_rows:
            emails.setdefault(user_id, []).append(EmailAddress(email_id, address, from_ms(created)))
        return [_user(r, emails.get(r[0], ())) for r in rows]

    async def update(
        self, instance_id: str, user_id: str, changes: dict[str, Any], *, now: datetime
    ) -> User | None:
        """Set the given columns (names from :data:`UPDATABLE`); ``None`` if no such user."""
        assigned = sorted(changes.keys() & UPDATABLE)
        values = [orjson.dumps(changes[c]).decode() if c in _JSON else changes[c] for c in assigned]
        sets = "".join(f"{column} = ?, " for column in assigned)
        try:
            changed = await self._db.execute(
                f"UPDATE users SET {sets}updated_at = ? WHERE id = ? AND instance_id = ?",
                *values,
                to_ms(now),
                user_id,
                instance_id,
            )
        except UniqueViolation as exc:
            raise IdentifierExists(_param_of(exc)) from None
        return await self.get(instance_id, user_id) if changed else None

    async def delete(self, instance_id: str, user_id: str, *, now: datetime) -> bool:
        """Delete a user, revoking its pending tokens and then its active sessions, in one
        transaction; whether it existed. Tokens before sessions: a redemption racing the delete
        either loses the token or has committed its session before the sessions are revoked."""
        async with self._db.transaction() as tx:
            await revoke_pending_of_user(tx, instance_id, user_id, now=now)
            await revoke_active_of_user(tx, instance_id, user_id, now=now)
            await tx.execute(
                "DELETE FROM email_addresses WHERE user_id = ? AND instance_id = ?",
                user_id,
                instance_id,
            )
            deleted = await tx.execute(
                "DELETE FROM users WHERE id = ? AND instance_id = ?", user_id, instance_id
            )
        return deleted == 1

    async def set_banned(
        self, instance_id: str, user_id: str, banned: bool, *, now: datetime
    ) -> User | None:
        """Ban (revoking pending tokens, then active sessions, in the same transaction) or
        unban a user."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE users SET banned = ?, updated_at = ? WHERE id = ? AND instance_id = ?",
                banned,
                to_ms(now),
                user_id,
                instance_id,
            )
            if changed and banned:
                await revoke_pending_of_user(tx, instance_id, user_id, now=now)
                await revoke_active_of_user(tx, instance_id, user_id, now=now)
        return await self.get(instance_id, user_id) if changed else None
