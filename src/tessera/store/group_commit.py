"""Group commit for the SQLite driver: single writes that arrive together share one commit.

A single write outside a transaction (a create, a revoke) is queued, and once per turn of the
event loop every queued write runs in one transaction with one commit (most of a write's
cost). Each caller is answered only after that commit, and told exactly the truth:

- A statement that fails on its own (a unique index) is undone alone by SQLite's statement
  journal; the transaction goes on. Each write is one statement, so no savepoint is needed.
- Some errors (a full disk, an I/O error, out of memory) make SQLite roll back the whole
  transaction instead: ``in_transaction`` is false afterwards. That write fails; the writes
  run before it in the batch were rolled back with it, so they go back to the head of the
  queue, with those not yet run, for a new transaction. Each round answers at least one
  write, so this ends.
- ``COMMIT`` runs in the database's commit thread (with ``synchronous=FULL`` it waits for an
  fsync), so the event loop goes on reading requests and queueing the next batch meanwhile.
  If it fails, nothing was committed: every write of the batch fails.
- While another connection holds the write lock, the queue waits on the timer (see
  ``sqlite_busy``); a write still waiting after the busy timeout fails with 503.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tessera.store.database import Row
from tessera.store.sqlite_busy import FIRST_DELAY, LONGEST_DELAY, busy_error

__all__ = ["GroupCommit", "Outcome"]

Outcome = tuple[int, list[Row]]  # rows changed, rows returned


@dataclass
class _Write:
    sql: str
    params: tuple[Any, ...]
    future: asyncio.Future[Outcome]
    deadline: float  # time.monotonic() after which waiting for the lock gives up


def _settle(write: _Write, outcome: Outcome | BaseException) -> None:
    if write.future.done():  # its caller was cancelled; the write ran (or not) all the same
        return
    if isinstance(outcome, BaseException):
        write.future.set_exception(outcome)
    else:
        write.future.set_result(outcome)


class GroupCommit:
    """The write queue of one connection; ``run`` executes one statement to its end."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        run: Callable[[str, tuple[Any, ...]], Outcome],
        lock: Callable[[], bool],
        commit: Callable[[], asyncio.Future[None]],
        busy_timeout: float,
    ) -> None:
        self._conn = conn
        self._run = run
        self._lock = lock  # BEGIN IMMEDIATE if the connection is free; False while it is not
        self._commit_in_thread = commit
        self._busy_timeout = busy_timeout
        self._queue: list[_Write] = []
        self._scheduled = False
        self._timer: asyncio.Handle | None = None
        self._delay = FIRST_DELAY

    async def submit(self, sql: str, params: tuple[Any, ...]) -> Outcome:
        """Queue one write; its outcome once the transaction that ran it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        deadline = time.monotonic() + self._busy_timeout
        self._queue.append(_Write(sql, params, future, deadline))
        self._schedule(0)
        return await future

    def wake(self) -> None:
        """The connection is free again (a commit ended): run what queued meanwhile now, not
        after the back-off a busy lock set."""
        if not self._queue:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._scheduled = False
        self._schedule(0)

    def _schedule(self, delay: float) -> None:
        if not self._scheduled:
            self._scheduled = True
            loop = asyncio.get_running_loop()
            if delay:
                self._timer = loop.call_later(delay, self._flush)
            else:
                self._timer = loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        self._timer = None
        if not self._queue:
            return
        try:
            begun = self._lock()
        except Exception as exc:
            batch, self._queue = self._queue, []
            for write in batch:
                _settle(write, exc)
            return
        if not begun:
            self._wait()
            return
        self._delay = FIRST_DELAY
        batch, self._queue = self._queue, []
        self._commit(batch)

    def _wait(self) -> None:
        """The lock is taken: fail the writes that have waited long enough, retry later."""
        now = time.monotonic()
        for write in self._queue:
            if write.deadline <= now:
                _settle(write, busy_error())
        self._queue = [w for w in self._queue if w.deadline > now]
        if self._queue:
            self._schedule(self._delay)
            self._delay = min(self._delay * 2, LONGEST_DELAY)

    def _commit(self, batch: list[_Write]) -> None:
        outcomes: list[Outcome | BaseException] = []
        for index, write in enumerate(batch):
            try:
                outcomes.append(self._run(write.sql, write.params))
            except Exception as exc:
                if not self._conn.in_transaction:  # SQLite rolled back the whole transaction
                    _settle(write, exc)
                    self._queue = batch[:index] + batch[index + 1 :] + self._queue
                    self._schedule(0)
                    return
                outcomes.append(exc)  # undone alone; the transaction goes on
        self._commit_in_thread().add_done_callback(
            lambda done: self._answer(batch, outcomes, done.exception())
        )

    @staticmethod
    def _answer(
        batch: list[_Write], outcomes: list[Outcome | BaseException], failed: BaseException | None
    ) -> None:
        """After COMMIT: each write's own outcome, or the commit's error for all of them."""
        for write, outcome in zip(batch, outcomes, strict=True):
            _settle(write, outcome if failed is None else failed)
