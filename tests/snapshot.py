"""Every row of every table, to show that a failed request changed nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from tessera.store import open_store

TABLES_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}


def snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    async def read() -> dict[str, list[tuple[Any, ...]]]:
        store = await open_store(database_url)
        try:
            tables = await store.db.fetchall(TABLES_SQL[store.db.dialect])
            return {
                name: sorted(map(tuple, await store.db.fetchall(f"SELECT * FROM {name}")), key=repr)
                for (name,) in tables
            }
        finally:
            await store.close()

    return asyncio.run(read())
