"""Instances and their secret keys."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

import orjson

from tessera.clock import from_ms, to_ms
from tessera.models import ApiKey, Instance, InstanceSettings
from tessera.store.database import Database, Row

__all__ = ["Instances"]

_KEY_COLUMNS = "id, instance_id, key_hash, prefix, created_at, revoked_at"
_SETTINGS = tuple(f.name for f in fields(InstanceSettings))  # each is a column of instances
_LIVE_KEY = "live api key"
_MEMO_LIMIT = 10_000


def _key(row: Row) -> ApiKey:
    return ApiKey(
        id=row[0],
        instance_id=row[1],
        key_hash=row[2],
        prefix=row[3],
        created_at=from_ms(row[4]),
        revoked_at=None if row[5] is None else from_ms(row[5]),
    )


def _instance(row: Row) -> Instance:
    return Instance(id=row[0], name=row[1], created_at=from_ms(row[2]))


class Instances:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, instance: Instance) -> None:
        await self._db.execute(
            "INSERT INTO instances (id, name, created_at) VALUES (?, ?, ?)",
            instance.id,
            instance.name,
            to_ms(instance.created_at),
        )

    async def get(self, instance_id: str) -> Instance | None:
        row = await self._db.fetchone(
            "SELECT id, name, created_at FROM instances WHERE id = ?", instance_id
        )
        return None if row is None else _instance(row)

    async def all(self) -> list[Instance]:
        rows = await self._db.fetchall("SELECT id, name, created_at FROM instances ORDER BY id")
        return [_instance(r) for r in rows]

    async def first(self) -> Instance | None:
        """The oldest instance: the default one."""
        row = await self._db.fetchone(
            "SELECT id, name, created_at FROM instances ORDER BY created_at, id LIMIT 1"
        )
        return None if row is None else _instance(row)

    async def add_key(self, key: ApiKey) -> None:
        await self._db.execute(
            f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)",
            key.id,
            key.instance_id,
            key.key_hash,
            key.prefix,
            to_ms(key.created_at),
        )

    async def instance_for_key(self, key_hash: str) -> tuple[str, str] | None:
        """``(instance_id, key_hash)`` of the live key with this hash: the per-request check.
        A live key is kept in the database's memo (see ``Database.memo``); an unknown or
        revoked one never is, so a flood of made-up keys keeps nothing."""
        memo = self._db.memo()
        found: tuple[str, str] | None = memo.get((_LIVE_KEY, key_hash))
        if found is not None:
            return found
        row = await self._db.fetchone(
            "SELECT instance_id, key_hash FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            key_hash,
        )
        if row is None:
            return None
        found = (row[0], row[1])
        if len(memo) < _MEMO_LIMIT:
            memo[(_LIVE_KEY, key_hash)] = found
        return found

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The live (unrevoked) key with this hash."""
        row = await self._db.fetchone(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
            key_hash,
        )
        return None if row is None else _key(row)

    async def keys(self, instance_id: str) -> list[ApiKey]:
        rows = await self._db.fetchall(
            f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE instance_id = ? ORDER BY created_at, id",
            instance_id,
        )
        return [_key(r) for r in rows]

    async def revoke_key(self, instance_id: str, key_id: str, *, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE api_keys SET revoked_at = ? "
            "WHERE id = ? AND instance_id = ? AND revoked_at IS NULL",
            to_ms(now),
            key_id,
            instance_id,
        )
        self._db.forget()
        return changed == 1

    async def settings(self, instance_id: str) -> InstanceSettings | None:
        row = await self._db.fetchone(
            f"SELECT {', '.join(_SETTINGS)} FROM instances WHERE id = ?", instance_id
        )
        if row is None:
            return None
        values = dict(zip(_SETTINGS, row, strict=True))
        values["allowed_redirect_urls"] = tuple(orjson.loads(values["allowed_redirect_urls"]))
        return InstanceSettings(**values)

    async def update_settings(self, instance_id: str, changes: dict[str, Any]) -> bool:
        """Set the given settings (names of :class:`InstanceSettings` fields); whether the
        instance exists."""
        names = sorted(changes.keys() & set(_SETTINGS))
        values = [
            orjson.dumps(list(changes[n])).decode() if n == "allowed_redirect_urls" else changes[n]
            for n in names
        ]
        if not names:
            return await self.get(instance_id) is not None
        sets = ", ".join(f"{name} = ?" for name in names)
        changed = await self._db.execute(
            f"UPDATE instances SET {sets} WHERE id = ?", *values, instance_id
        )
        return changed == 1
