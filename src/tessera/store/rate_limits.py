"""Fixed-window counters in the database, so that every node shares them.

A bucket is a string such as ``redeem:203.0.113.7``; its row holds the current window's start
and the hits in it. :meth:`RateLimits.hit` counts and reads in ONE conditional upsert, so
concurrent requests on any number of nodes each see a distinct count and the count never
passes the limit: a hit refused by the limit changes no row.
"""

from __future__ import annotations

from tessera.store.database import Database

__all__ = ["RateLimits"]


class RateLimits:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def hits(self, bucket: str, window_start: int) -> int:
        """The hits counted so far in the window starting at ``window_start`` (Unix ms)."""
        row = await self._db.fetchone(
            "SELECT hits FROM rate_limits WHERE bucket = ? AND window_start = ?",
            bucket,
            window_start,
        )
        return int(row[0]) if row else 0

    async def hit(self, bucket: str, window_start: int, *, limit: int) -> int | None:
        """Count one hit in the window starting at ``window_start`` (Unix ms) unless it already
        holds ``limit``; the hits so far, this one included, or ``None`` (nothing written) when
        the window is full. A row left from an older window starts over at 1."""
        row = await self._db.fetchone(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1) "
            "ON CONFLICT (bucket) DO UPDATE SET "
            "hits = CASE WHEN rate_limits.window_start = excluded.window_start "
            "THEN rate_limits.hits + 1 ELSE 1 END, "
            "window_start = excluded.window_start "
            "WHERE rate_limits.window_start <> excluded.window_start OR rate_limits.hits < ? "
            "RETURNING hits",
            bucket,
            window_start,
            limit,
        )
        return int(row[0]) if row else None

    async def prune(self, before: int) -> int:
        """Delete buckets whose window started before ``before`` (Unix ms); how many."""
        return await self._db.execute("DELETE FROM rate_limits WHERE window_start < ?", before)
