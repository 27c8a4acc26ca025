"""The instances' session-signing keys.

One ``current`` key per instance (a partial unique index); rotation retires it and inserts the
next in one transaction. A retired key keeps only its public half, published until
``publish_until``. A revoked key is never published again, and :meth:`SigningKeys.revoke`
revokes the sessions whose tokens it signed in the same transaction, after marking the key
(see ARCHITECTURE.md for why that order, and the row lock a session start takes).

The private key is PKCS#8 PEM, sealed with the store's :class:`~tessera.sealed.Keyring` when
it has an encryption key (AES-GCM, the key id as associated data), plaintext otherwise. Only
:meth:`SigningKeys.current` reads private keys; listings never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import orjson

from tessera.clock import from_ms, to_ms
from tessera.models import KeyStatus, SigningAlgorithm, SigningKey
from tessera.sealed import Keyring, is_sealed
from tessera.store.database import Database, Row

__all__ = ["KeyChanged", "SealedCount", "SigningKeys"]

COLUMNS = (
    "id, instance_id, algorithm, status, public_jwk, private_key, created_at, retired_at, "
    "publish_until, revoked_at"
)
PUBLIC_COLUMNS = COLUMNS.replace("private_key", "''")


class KeyChanged(Exception):
    """The key was rotated or revoked between reading it and revoking it."""


@dataclass(frozen=True)
class SealedCount:
    sealed: int
    plaintext: int


def _key(row: Row, keyring: Keyring) -> SigningKey:
    return SigningKey(
        id=row[0],
        instance_id=row[1],
        algorithm=cast(SigningAlgorithm, row[2]),
        status=cast(KeyStatus, row[3]),
        public_jwk=orjson.loads(row[4]),
        private_pem=keyring.open(row[5], context=row[0]) if row[5] else "",
        created_at=from_ms(row[6]),
        retired_at=None if row[7] is None else from_ms(row[7]),
        publish_until=None if row[8] is None else from_ms(row[8]),
        revoked_at=None if row[9] is None else from_ms(row[9]),
    )


class SigningKeys:
    def __init__(self, db: Database, keyring: Keyring | None = None) -> None:
        self._db = db
        self.keyring = keyring or Keyring()

    async def current(self, instance_id: str) -> SigningKey | None:
        """The current key, its private half opened (Unsealable if no key opens it)."""
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM signing_keys WHERE instance_id = ? AND status = 'current'",
            instance_id,
        )
        return None if row is None else _key(row, self.keyring)

    async def get(self, instance_id: str, key_id: str) -> SigningKey | None:
        """A key's public half and dates (``private_pem`` empty)."""
        row = await self._db.fetchone(
            f"SELECT {PUBLIC_COLUMNS} FROM signing_keys WHERE id = ? AND instance_id = ?",
            key_id,
            instance_id,
        )
        return None if row is None else _key(row, self.keyring)

    async def insert_current(self, key: SigningKey) -> None:
        """Store ``key`` as the instance's current key; UniqueViolation if one exists."""
        await _insert(self._db, key, self.keyring)

    async def rotate(self, key: SigningKey, *, now: datetime, publish_until: datetime) -> None:
        """Retire the current key (erasing its private half, publishing it until
        ``publish_until``) and make ``key`` current, in one transaction."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE signing_keys SET status = 'retired', private_key = '', retired_at = ?, "
                "publish_until = ? WHERE instance_id = ? AND status = 'current'",
                to_ms(now),
                to_ms(publish_until),
                key.instance_id,
            )
            await _insert(tx, key, self.keyring)

    async def revoke(
        self, key: SigningKey, *, now: datetime, replacement: SigningKey | None = None
    ) -> int:
        """Revoke ``key`` (as read: KeyChanged if its status moved since), insert
        ``replacement`` as the current key if given, and revoke every active session the key
        signed, in one transaction; how many sessions. Sessions from before migration 0005
        record no key: those started while it was current are revoked too."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE signing_keys SET status = 'revoked', private_key = '', revoked_at = ?, "
                "publish_until = NULL WHERE id = ? AND instance_id = ? AND status = ?",
                to_ms(now),
                key.id,
                key.instance_id,
                key.status,
            )
            if changed != 1:
                raise KeyChanged(key.id)
            if replacement is not None:
                await _insert(tx, replacement, self.keyring)
            return await tx.execute(
                "UPDATE sessions SET status = 'revoked', updated_at = ? "
                "WHERE instance_id = ? AND status = 'active' AND (signing_key_id = ? OR "
                "(signing_key_id IS NULL AND created_at >= ? AND created_at <= ?))",
                to_ms(now),
                key.instance_id,
                key.id,
                to_ms(key.created_at),
                to_ms(key.retired_at or now),
            )

    async def published(self, instance_id: str, *, now: datetime) -> list[SigningKey]:
        """The current key and every retired key still within its publication window."""
        rows = await self._db.fetchall(
            f"SELECT {PUBLIC_COLUMNS} FROM signing_keys WHERE instance_id = ? "
            "AND (status = 'current' OR (status = 'retired' AND publish_until > ?)) "
            "ORDER BY created_at DESC, id DESC",
            instance_id,
            to_ms(now),
        )
        return [_key(r, self.keyring) for r in rows]

    async def all(self, instance_id: str) -> list[SigningKey]:
        """Every key the instance has had, newest first (for the operator's listing)."""
        rows = await self._db.fetchall(
            f"SELECT {PUBLIC_COLUMNS} FROM signing_keys WHERE instance_id = ? "
            "ORDER BY created_at DESC, id DESC",
            instance_id,
        )
        return [_key(r, self.keyring) for r in rows]

    async def check_readable(self) -> SealedCount:
        """Open every stored private key (of every instance); Unsealable at the first that no
        key of the keyring opens. How many are sealed and how many plaintext."""
        rows = await self._db.fetchall(
            "SELECT id, private_key FROM signing_keys WHERE private_key <> ''"
        )
        for kid, value in rows:
            self.keyring.open(value, context=kid)
        sealed = sum(1 for _, value in rows if is_sealed(value))
        return SealedCount(sealed, len(rows) - sealed)

    async def rewrap(self) -> int:
        """Seal every stored private key under the keyring's current key, in one
        transaction; how many. Unsealable if one cannot be opened (nothing changes)."""
        async with self._db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT id, private_key FROM signing_keys WHERE private_key <> ''"
            )
            for kid, value in rows:
                sealed = self.keyring.seal(self.keyring.open(value, context=kid), context=kid)
                await tx.execute(
                    "UPDATE signing_keys SET private_key = ? WHERE id = ?", sealed, kid
                )
        return len(rows)


async def _insert(db: Database, key: SigningKey, keyring: Keyring) -> None:
    await db.execute(
        f"INSERT INTO signing_keys ({COLUMNS}) "
        "VALUES (?, ?, ?, 'current', ?, ?, ?, NULL, NULL, NULL)",
        key.id,
        key.instance_id,
        key.algorithm,
        orjson.dumps(key.public_jwk).decode(),
        keyring.seal(key.private_pem, context=key.id),
        to_ms(key.created_at),
    )
