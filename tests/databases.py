"""Throw-away databases for tests: a SQLite file, or a PostgreSQL schema in a per-run database.

Each pytest run creates its own PostgreSQL database (``tessera_test_<random>``) and drops it
(``WITH (FORCE)``) when the run ends, so concurrent runs never collide and a crashed test
leaves nothing behind once the run is over. Each test gets a fresh, empty schema inside it,
reached through ``?search_path=…`` in the URL, and dropped after the test: creating a schema
costs milliseconds where copying a database costs a tenth of a second.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg

__all__ = ["ADMIN_URL", "KINDS", "PostgresRun"]

# Where the test PostgreSQL listens; any database on it will do for CREATE DATABASE.
ADMIN_URL = os.environ.get(
    "TESSERA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# The databases every store and API test runs on: "sqlite,postgresql" unless narrowed.
KINDS = [
    k.strip() for k in os.environ.get("TESSERA_TEST_DATABASES", "sqlite,postgresql").split(",")
]


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _with_path(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database, query=""))


class PostgresRun:
    """The database of one test run, and the schemas its tests are handed."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.database = f"tessera_test_{secrets.token_hex(4)}"
        self.url = _with_path(admin_url, self.database)
        self._numbers = itertools.count(1)
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{self.database}"'))

    def drop(self) -> None:
        asyncio.run(
            _admin(self.admin_url, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        )

    @contextmanager
    def schema(self) -> Iterator[str]:
        """A URL whose tables live in a new empty schema, dropped when the block ends."""
        name = f"t{next(self._numbers)}"
        asyncio.run(_admin(self.url, f"CREATE SCHEMA {name}"))
        try:
            yield f"{self.url}?search_path={name}"
        finally:
            asyncio.run(_admin(self.url, "SET lock_timeout = '10s'", f"DROP SCHEMA {name} CASCADE"))
