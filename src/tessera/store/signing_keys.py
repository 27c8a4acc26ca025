"""The instances' session-signing keys.

One ``current`` key per instance (a partial unique index); rotation retires it and inserts the
next in one transaction. A retired key keeps only its public half, published until
``publish_until``. Threat model: the current private key is stored as PKCS#8 PEM in this table,
unencrypted; whoever can read the database can mint session tokens until the next rotation
(whoever can write it can already sign anybody in). See ARCHITECTURE.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import orjson

from tessera.clock import from_ms, to_ms
from tessera.models import KeyStatus, SigningAlgorithm, SigningKey
from tessera.store.database import Database, Row

__all__ = ["SigningKeys"]

COLUMNS = (
    "id, instance_id, algorithm, status, public_jwk, private_key, created_at, retired_at, "
    "publish_until"
)


def _key(row: Row) -> SigningKey:
    return SigningKey(
        id=row[0],
        instance_id=row[1],
        algorithm=cast(SigningAlgorithm, row[2]),
        status=cast(KeyStatus, row[3]),
        public_jwk=orjson.loads(row[4]),
        private_pem=row[5],
        created_at=from_ms(row[6]),
        retired_at=None if row[7] is None else from_ms(row[7]),
        publish_until=None if row[8] is None else from_ms(row[8]),
    )


class SigningKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def current(self, instance_id: str) -> SigningKey | None:
        row = await self._db.fetchone(
            f"SELECT {COLUMNS} FROM signing_keys WHERE instance_id = ? AND status = 'current'",
            instance_id,
        )
        return None if row is None else _key(row)

    async def insert_current(self, key: SigningKey) -> None:
        """Store ``key`` as the instance's current key; UniqueViolation if one exists."""
        await _insert(self._db, key)

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
            await _insert(tx, key)

    async def published(self, instance_id: str, *, now: datetime) -> list[SigningKey]:
        """The current key and every retired key still within its publication window."""
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM signing_keys WHERE instance_id = ? "
            "AND (status = 'current' OR publish_until > ?) ORDER BY created_at DESC, id DESC",
            instance_id,
            to_ms(now),
        )
        return [_key(r) for r in rows]

    async def all(self, instance_id: str) -> list[SigningKey]:
        """Every key the instance has had, newest first (for the operator's listing)."""
        rows = await self._db.fetchall(
            f"SELECT {COLUMNS} FROM signing_keys WHERE instance_id = ? "
            "ORDER BY created_at DESC, id DESC",
            instance_id,
        )
        return [_key(r) for r in rows]


async def _insert(db: Database, key: SigningKey) -> None:
    await db.execute(
        f"INSERT INTO signing_keys ({COLUMNS}) VALUES (?, ?, ?, 'current', ?, ?, ?, NULL, NULL)",
        key.id,
        key.instance_id,
        key.algorithm,
        orjson.dumps(key.public_jwk).decode(),
        key.private_pem,
        to_ms(key.created_at),
    )
