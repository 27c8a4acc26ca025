"""Waiting for SQLite's write lock on the event loop's timer instead of in SQLite.

SQLite's own ``busy_timeout`` waits inside the call, and so would stop every other request of
the process while another process (a CLI command, a second worker) holds the write lock. The
connection therefore runs with ``busy_timeout=0``: a statement that finds the lock taken fails
at once with SQLITE_BUSY, and the caller tries again after ``asyncio.sleep`` (1 ms, doubling
up to 25 ms) until its busy timeout has passed; then :class:`ServiceUnavailable` (503 with
``Retry-After``).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from tessera.errors import ServiceUnavailable

__all__ = ["Backoff", "busy_error", "is_busy", "retry_while_busy", "try_begin"]

T = TypeVar("T")
FIRST_DELAY = 0.001
LONGEST_DELAY = 0.025


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY, with any extended code: another connection holds a lock we need."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF == 5


def busy_error() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The database is busy with another writer (a command or another process). "
        "Please retry in a moment."
    )


class Backoff:
    """One caller's wait: the delays before each new try, until ``timeout`` seconds passed."""

    def __init__(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self._delay = FIRST_DELAY

    def next(self) -> float:
        """Seconds to sleep before the next try; :class:`ServiceUnavailable` once past the
        deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise busy_error()
        delay = min(self._delay, left)
        self._delay = min(self._delay * 2, LONGEST_DELAY)
        return delay


def try_begin(conn: sqlite3.Connection) -> bool:
    """``BEGIN IMMEDIATE`` if the write lock is free (True). False while it is held: by
    another connection, or by a transaction of this one that is still open."""
    if conn.in_transaction:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            return False
        raise
    return True


async def retry_while_busy(attempt: Callable[[], T], busy_timeout: float) -> T:
    """``attempt()``, tried again on the timer while it fails with SQLITE_BUSY."""
    backoff = Backoff(busy_timeout)
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        await asyncio.sleep(backoff.next())
