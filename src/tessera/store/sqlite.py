"""The embedded SQLite database: one connection per process, WAL, no threads.

Reads and transactions run to completion on the event loop's thread without yielding, so no
other task can interleave with a transaction. Several processes (``--workers N``) share the
file; SQLite's write lock serialises them and ``busy_timeout`` makes a writer wait instead of
failing.

Group commit: a single write outside a transaction (a create, a revoke) is queued, and once
per turn of the event loop every queued write runs in one transaction with one commit. Each
caller gets its own statement's result (or error) only after that commit, so durability and
per-statement atomicity are as if each had committed alone, while the commit (most of a
write's cost) is shared by all the requests that arrived together.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tessera.errors import ConfigError
from tessera.store.database import (
    Database,
    Row,
    UniqueViolation,
    apply_migrations,
    split_script,
)

__all__ = ["SQLiteDatabase", "path_from_url"]

_Write = tuple[str, tuple[Any, ...], "asyncio.Future[tuple[int, list[Row]]]"]


def path_from_url(url: str) -> str:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    parts = urlsplit(url)
    if parts.netloc == ":memory:" or parts.path in ("/:memory:", ""):
        return ":memory:"
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not path:
        raise ConfigError(f"{url!r} names no SQLite file: use sqlite:///./tessera.db.")
    return path


class SQLiteDatabase:
    dialect = "sqlite"
    migrated = (0, 0)  # the schema version open() found, and the one it reached

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._use_wal()
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        self._queue: list[_Write] = []
        self._memo: dict[Hashable, Any] = {}
        self._memo_version: int | None = None
        self._memo_fresh = False

    def _use_wal(self) -> None:
        """Switch the file to WAL (once per file; it stays so). SQLite answers "locked" at once,
        without waiting, while another process holds the file, as when several start on a new
        one together: retry for as long as a writer would wait."""
        deadline = time.monotonic() + 10
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @classmethod
    async def open(cls, url: str) -> SQLiteDatabase:
        db = cls(path_from_url(url))
        async with db.transaction():
            db.migrated = await apply_migrations(db)
        return db

    def _run(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise UniqueViolation(str(exc)) from None
            raise

    async def execute(self, sql: str, *params: Any) -> int:
        count, _ = await self._statement(sql, params)
        return count

    async def fetchone(self, sql: str, *params: Any) -> Row | None:
        _, rows = await self._statement(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, *params: Any) -> list[Row]:
        _, rows = await self._statement(sql, params)
        return rows

    async def _statement(self, sql: str, params: tuple[Any, ...]) -> tuple[int, list[Row]]:
        """Run now (a read, or inside a transaction), or queue a write for the group commit."""
        if self._depth or sql.lstrip()[:6].upper() == "SELECT":
            return self._complete(sql, params)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, list[Row]]] = loop.create_future()
        self._queue.append((sql, params, future))
        if len(self._queue) == 1:
            loop.call_soon(self._commit_queue, loop)
        return await future

    def _complete(self, sql: str, params: tuple[Any, ...]) -> tuple[int, list[Row]]:
        cursor = self._run(sql, params)
        rows = cursor.fetchall()  # step to the end: RETURNING rows, and the change itself
        return cursor.rowcount, rows

    def _commit_queue(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._depth:  # a transaction is open (it never yields, but be safe): after it
            loop.call_soon(self._commit_queue, loop)
            return
        batch, self._queue = self._queue, []
        outcomes: list[tuple[int, list[Row]] | BaseException] = []
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            for sql, params, _ in batch:
                try:  # a failed statement is undone alone; the transaction goes on
                    outcomes.append(self._complete(sql, params))
                except Exception as exc:
                    outcomes.append(exc)
            self._conn.execute("COMMIT")
        except Exception as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            outcomes = [exc] * len(batch)
        for (_, _, future), outcome in zip(batch, outcomes, strict=True):
            if future.cancelled():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = False) -> AsyncIterator[Database]:
        # BEGIN IMMEDIATE takes the write lock up front: no upgrade deadlock between workers.
        # It keeps every other writer out, so every transaction here is already exclusive.
        if self._depth:
            raise RuntimeError("nested transaction")
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    async def script(self, sql: str) -> None:
        for statement in split_script(sql):
            self._conn.execute(statement)

    def memo(self) -> dict[Hashable, Any]:
        """Emptied when another connection (a CLI, another worker) has committed since the
        last look. ``PRAGMA data_version`` tells, but it costs a read transaction, so it is
        asked at most once per turn of the event loop: once asked, a recheck is queued
        (``call_soon``). That still sees every commit a request could know of: a request's
        steps run as queued callbacks, so one that uses this turn's answer was queued before
        the question was asked, hence after its own bytes arrived, hence after any commit
        its client had seen."""
        if not self._memo_fresh:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._memo_version:
                self._memo.clear()
                self._memo_version = version
            try:
                asyncio.get_running_loop().call_soon(self._memo_stale)
                self._memo_fresh = True
            except RuntimeError:  # no event loop: ask every time
                pass
        return self._memo

    def _memo_stale(self) -> None:
        self._memo_fresh = False

    def forget(self) -> None:
        self._memo.clear()

    async def close(self) -> None:
        self._conn.close()
