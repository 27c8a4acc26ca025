"""Idempotency keys: claimed by one atomic statement, completed once, purged after expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tessera.clock import from_ms, to_ms
from tessera.store.database import Database

__all__ = ["IdempotencyKeys", "IdempotencyRecord"]


@dataclass(frozen=True)
class IdempotencyRecord:
    """What is kept of a key: never the key, never the response in clear."""

    fingerprint: str
    status: int | None  # None while the first request is in progress
    sealed_response: str | None
    created_at: datetime


class IdempotencyKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self,
        instance_id: str,
        key_hash: str,
        fingerprint: str,
        *,
        now: datetime,
        expired_before: datetime,
    ) -> bool:
        """Take the key for a new request: insert it, or take over a record created before
        ``expired_before``. One statement, so of two concurrent claims exactly one wins."""
        changed = await self._db.execute(
            "INSERT INTO idempotency_keys "
            "(instance_id, key_hash, fingerprint, status, response, created_at) "
            "VALUES (?, ?, ?, NULL, NULL, ?) "
            "ON CONFLICT (instance_id, key_hash) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, status = NULL, response = NULL, "
            "created_at = excluded.created_at "
            "WHERE idempotency_keys.created_at < ?",
            instance_id,
            key_hash,
            fingerprint,
            to_ms(now),
            to_ms(expired_before),
        )
        return changed == 1

    async def get(self, instance_id: str, key_hash: str) -> IdempotencyRecord | None:
        row = await self._db.fetchone(
            "SELECT fingerprint, status, response, created_at FROM idempotency_keys "
            "WHERE instance_id = ? AND key_hash = ?",
            instance_id,
            key_hash,
        )
        if row is None:
            return None
        return IdempotencyRecord(row[0], row[1], row[2], from_ms(row[3]))

    async def complete(
        self, instance_id: str, key_hash: str, status: int, sealed_response: str
    ) -> bool:
        """Record the first response of a claimed key; whether the claim was still held."""
        changed = await self._db.execute(
            "UPDATE idempotency_keys SET status = ?, response = ? "
            "WHERE instance_id = ? AND key_hash = ? AND status IS NULL",
            status,
            sealed_response,
            instance_id,
            key_hash,
        )
        return changed == 1

    async def release(self, instance_id: str, key_hash: str) -> None:
        """Give up an uncompleted claim (the request failed), so a retry runs afresh."""
        await self._db.execute(
            "DELETE FROM idempotency_keys "
            "WHERE instance_id = ? AND key_hash = ? AND status IS NULL",
            instance_id,
            key_hash,
        )

    async def purge(self, *, expired_before: datetime) -> int:
        """Forget every key created before ``expired_before``; how many."""
        return await self._db.execute(
            "DELETE FROM idempotency_keys WHERE created_at < ?", to_ms(expired_before)
        )
