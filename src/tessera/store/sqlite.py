"""The embedded SQLite database: one connection per process, WAL.

Reads and transactions run to completion on the event loop's thread without yielding, so no
other task can interleave with a transaction. Only ``COMMIT`` leaves it, for a commit thread:
with ``synchronous=FULL`` it waits for an fsync, and the loop goes on reading requests; until
it ends, reads wait and writes queue. Several processes (``--workers N``) share the
file; SQLite's write lock serialises them. Waiting for that lock happens on the event loop's
timer (``sqlite_busy``), never inside SQLite, so it holds up no other request. Single writes
outside a transaction share commits (``group_commit``).

The URL's options: ``?busy_timeout=`` (ms a write waits for another process's lock before a
503; 5000) and ``?synchronous=`` (``full``, the default: a commit is on disk before it is
answered, so a power cut loses none; ``normal`` may lose the last commits).

The file holds signing keys: it is created 0600 (SQLite gives its ``-wal`` and ``-shm`` the
same mode), with ``secure_delete`` on, and :meth:`SQLiteDatabase.scrub` empties the WAL after
a secret is erased.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import stat
import time
from collections.abc import AsyncIterator, Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tessera.errors import ConfigError, ServiceUnavailable
from tessera.store.database import (
    Database,
    Row,
    UniqueViolation,
    apply_migrations,
    split_script,
)
from tessera.store.group_commit import GroupCommit, Outcome
from tessera.store.sqlite_busy import Backoff, is_busy, retry_while_busy, try_begin

__all__ = ["SQLiteDatabase", "SQLiteOptions", "options_from_url", "path_from_url"]

log = logging.getLogger(__name__)
SYNCHRONOUS = ("full", "normal", "extra")


@dataclass(frozen=True)
class SQLiteOptions:
    path: str
    busy_timeout: float = 5.0  # seconds
    synchronous: str = "full"


def options_from_url(url: str) -> SQLiteOptions:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``, with
    ``?busy_timeout=MS`` and ``?synchronous=full|normal|extra``."""
    parts = urlsplit(url)
    if parts.netloc == ":memory:" or parts.path in ("/:memory:", ""):
        path = ":memory:"
    else:
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not path:
        raise ConfigError(f"{url!r} names no SQLite file: use sqlite:///./tessera.db.")
    found = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(found) - {"busy_timeout", "synchronous"})
    if unknown:
        raise ConfigError(
            f"Unknown SQLite URL option {unknown[0]!r}: use busy_timeout or synchronous."
        )
    busy = found.get("busy_timeout", "5000")
    synchronous = found.get("synchronous", "full").lower()
    if not busy.isdigit():
        raise ConfigError(f"busy_timeout={busy!r}: give the milliseconds, such as 5000.")
    if synchronous not in SYNCHRONOUS:
        raise ConfigError(f"synchronous={synchronous!r}: use full, normal or extra.")
    return SQLiteOptions(path, int(busy) / 1000, synchronous)


def path_from_url(url: str) -> str:
    return options_from_url(url).path


def _private_file(path: str) -> None:
    """Create the database 0600 before SQLite opens it. A file made earlier with permissions
    for others (an older Tessera made 0644) loses them, and so do its -wal and -shm."""
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    for name in (path, path + "-wal", path + "-shm"):
        with suppress(FileNotFoundError):
            mode = stat.S_IMODE(os.stat(name).st_mode)
            if mode & 0o007:
                log.warning("%s was readable by other users: now %o", name, mode & ~0o007)
                os.chmod(name, mode & ~0o007)


class SQLiteDatabase:
    dialect = "sqlite"
    migrated = (0, 0)  # the schema version open() found, and the one it reached

    def __init__(self, options: SQLiteOptions) -> None:
        if options.path != ":memory:":
            _private_file(options.path)
        self._conn = sqlite3.connect(options.path, isolation_level=None, check_same_thread=False)
        self._busy_timeout = options.busy_timeout
        self._conn.execute("PRAGMA busy_timeout=0")  # waits happen on the event loop's timer
        self._use_wal()
        self._conn.execute(f"PRAGMA synchronous={options.synchronous.upper()}")
        self._conn.execute("PRAGMA secure_delete=ON")  # erased secrets leave no free pages
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        self._commits = ThreadPoolExecutor(1, thread_name_prefix="tessera-sqlite-commit")
        self._committing: asyncio.Future[None] | None = None
        self._writes = GroupCommit(
            self._conn, self._complete, self._lock, self._commit, options.busy_timeout
        )
        self._memo: dict[Hashable, Any] = {}
        self._memo_version: int | None = None
        self._memo_fresh = False

    def _use_wal(self) -> None:
        """Switch the file to WAL (once per file; it stays so). SQLite answers "locked" while
        another process holds the file, as when several start on a new one together: retry
        (this is start-up: nothing else is being served yet)."""
        deadline = time.monotonic() + max(self._busy_timeout, 10)
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @classmethod
    async def open(cls, url: str) -> SQLiteDatabase:
        db = cls(options_from_url(url))
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

    async def _statement(self, sql: str, params: tuple[Any, ...]) -> Outcome:
        """Run now (inside a transaction, or a read), or queue a write for the group commit."""
        if self._depth:
            return self._complete(sql, params)
        if sql.lstrip()[:6].upper() == "SELECT":
            await self._idle()
            return await retry_while_busy(lambda: self._complete(sql, params), self._busy_timeout)
        return await self._writes.submit(sql, params)

    def _complete(self, sql: str, params: tuple[Any, ...]) -> Outcome:
        cursor = self._run(sql, params)
        rows = cursor.fetchall()  # step to the end: RETURNING rows, and the change itself
        return cursor.rowcount, rows

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = False) -> AsyncIterator[Database]:
        # BEGIN IMMEDIATE takes the write lock up front: no upgrade deadlock between workers.
        # It keeps every other writer out, so every transaction here is already exclusive.
        if self._depth:
            raise RuntimeError("nested transaction")
        backoff = Backoff(self._busy_timeout)
        while True:
            await self._idle()
            if self._lock():
                break
            await asyncio.sleep(backoff.next())  # another process holds the write lock
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._conn.execute("ROLLBACK")
            raise
        self._depth = 0
        await asyncio.shield(self._commit())

    def _lock(self) -> bool:
        """``BEGIN IMMEDIATE`` when the connection is free and the write lock can be had.
        Holding the lock, no other connection can commit until ours does: the memo's check
        made here (see :meth:`memo`) stays true until then."""
        if self._commit_in_flight() is not None or not try_begin(self._conn):
            return False
        self._check_memo()
        return True

    def _commit(self) -> asyncio.Future[None]:
        """``COMMIT`` in the commit thread: with ``synchronous=FULL`` it waits for an fsync,
        which would otherwise stop the event loop. Until it ends no one else touches the
        connection: reads wait in :meth:`_idle`, writes queue, transactions wait in
        :meth:`_lock`."""
        future = asyncio.get_running_loop().run_in_executor(self._commits, self._commit_now)
        self._committing = future
        future.add_done_callback(self._committed)
        return future

    def _commit_now(self) -> None:
        try:
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            raise

    def _committed(self, future: asyncio.Future[None]) -> None:
        if self._committing is future:  # not a later commit's
            self._committing = None
        self._writes.wake()

    def _commit_in_flight(self) -> asyncio.Future[None] | None:
        """The commit still running, if any. A finished one whose callbacks have not run yet
        does not count: awaiting it would not yield, and its callbacks would never run."""
        future = self._committing
        return None if future is None or future.done() else future

    async def _idle(self) -> None:
        while (future := self._commit_in_flight()) is not None:
            with suppress(Exception):
                await asyncio.shield(future)

    async def script(self, sql: str) -> None:
        for statement in split_script(sql):
            self._conn.execute(statement)

    async def scrub(self) -> None:
        """Copy the WAL into the database file and empty it, so that what was just erased
        (``secure_delete`` zeroes it in the file) leaves no copy in the WAL. Another
        connection reading an older snapshot keeps the WAL in use: wait for it on the timer,
        up to the busy timeout; past it, warn and leave the rest to the next checkpoint."""
        backoff = Backoff(self._busy_timeout)
        await self._idle()
        while True:
            if not self._conn.in_transaction:
                row = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if row is None or row[0] == 0:
                    return
            try:
                await asyncio.sleep(backoff.next())
            except ServiceUnavailable:
                log.warning("the WAL could not be emptied now; the next checkpoint will do it")
                return

    def memo(self) -> dict[Hashable, Any]:
        """Emptied when another connection (a CLI, another worker) has committed since the
        last look. ``PRAGMA data_version`` tells, but it costs a read transaction, so it is
        asked at most once per turn of the event loop: once asked, a recheck is queued
        (``call_soon``). That still sees every commit a request could know of: a request's
        steps run as queued callbacks, so one that uses this turn's answer was queued before
        the question was asked, hence after its own bytes arrived, hence after any commit
        its client had seen."""
        if self._commit_in_flight() is not None:  # we hold the write lock: checked when taken
            return self._memo
        if not self._memo_fresh:
            self._check_memo()
            try:
                asyncio.get_running_loop().call_soon(self._memo_stale)
                self._memo_fresh = True
            except RuntimeError:  # no event loop: ask every time
                pass
        return self._memo

    def _check_memo(self) -> None:
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._memo_version:
            self._memo.clear()
            self._memo_version = version

    def _memo_stale(self) -> None:
        self._memo_fresh = False

    def forget(self) -> None:
        self._memo.clear()

    async def close(self) -> None:
        await self._idle()
        self._conn.close()
        self._commits.shutdown()
