"""Throw-away PostgreSQL databases for tests: one database per run, one schema per test.

Each pytest run creates its own database (``tessera_test_<random>``) and drops it ``WITH
(FORCE)`` when the run ends, so concurrent runs never collide and nothing outlives the run.
Inside it each test gets a schema of its own, reached through ``?search_path=…`` in the URL.

Creating Tessera's tables costs a PostgreSQL server about a tenth of a second of catalog work,
more than most tests take, so a test's schema is not dropped afterwards but emptied (``DELETE``
from every table: milliseconds) and handed to a later test of the same run, already migrated.
A schema is reused only if it is exactly at the newest migration this code knows; anything
else (a test that marked it newer, a connection still holding a lock) is dropped instead.
Tests about migrating itself ask for ``fresh=True``: a schema no one has used.

Test URLs also set ``synchronous_commit=off``: a commit returns before its WAL reaches the
disk, which only matters if the PostgreSQL server itself crashes, and nothing here tests
that; it halves the time of the tests that write thousands of rows. The benchmarks keep
PostgreSQL's default. Test SQLite URLs (``conftest.py``) likewise set ``synchronous=normal``
(a commit waits for no fsync); tests of the default open their own file.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from tessera.store.database import migrations

__all__ = ["ADMIN_URL", "KINDS", "PostgresRun"]

T = TypeVar("T")
# Where the test PostgreSQL listens; any database on it will do for CREATE DATABASE.
ADMIN_URL = os.environ.get(
    "TESSERA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# The databases every store and API test runs on: "sqlite,postgresql" unless narrowed.
KINDS = [
    k.strip() for k in os.environ.get("TESSERA_TEST_DATABASES", "sqlite,postgresql").split(",")
]
NEWEST = migrations()[-1][0]


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class PostgresRun:
    """The database of one test run, and the schemas its tests are handed.

    Its own connection lives on an event loop in a thread of its own, so that fixtures can
    use it whether or not the test's loop is running.
    """

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.database = f"tessera_test_{secrets.token_hex(4)}"
        self.url = urlunsplit(urlsplit(admin_url)._replace(path="/" + self.database, query=""))
        self._numbers = itertools.count(1)
        self._clean: list[str] = []  # migrated, emptied, ready for the next test
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(_admin(admin_url, f'CREATE DATABASE "{self.database}"'))
        self._conn: Any = self._call(asyncpg.connect(self.url))
        self._call(self._conn.execute("SET lock_timeout = '10s'"))  # a leak fails, not hangs

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(60)

    def drop(self) -> None:
        try:
            self._call(self._conn.close())
            drop = f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'
            self._call(_admin(self.admin_url, drop))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    @contextmanager
    def schema(self, *, fresh: bool = False) -> Iterator[str]:
        """A URL whose tables live in a schema no other test is using, with no rows in it:
        never used before if ``fresh``, else possibly an emptied, migrated one."""
        if self._clean and not fresh:
            name = self._clean.pop()
        else:
            name = f"t{next(self._numbers)}"
            self._call(self._conn.execute(f"CREATE SCHEMA {name}"))
        try:
            yield f"{self.url}?search_path={name}&synchronous_commit=off"
        finally:
            if self._call(self._empty(name)):
                self._clean.append(name)
            else:
                self._call(self._conn.execute(f"DROP SCHEMA {name} CASCADE"))

    async def _empty(self, name: str) -> bool:
        """Delete every row of a schema at the newest version; whether it can be reused."""
        tables = {
            row[0]
            for row in await self._conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1", name
            )
        }
        if "schema_migrations" not in tables:
            return False
        version = await self._conn.fetchval(f"SELECT max(version) FROM {name}.schema_migrations")
        if version != NEWEST:
            return False
        try:
            async with self._conn.transaction():
                # Foreign keys are not checked while emptying: every table goes anyway.
                await self._conn.execute("SET LOCAL session_replication_role = replica")
                for table in sorted(tables - {"schema_migrations"}):
                    await self._conn.execute(f"DELETE FROM {name}.{table}")
        except asyncpg.LockNotAvailableError:
            return False
        return True
