"""Fixed-window counters in the database, so that every node shares them.

A bucket is a string such as ``redeem:203.0.113.7``; its row holds the current window's start
and the hits in it. :meth:`RateLimits.hit` counts and reads in ONE upsert, so concurrent
requests on any number of nodes each see a distinct count.
"""

from __future__ import annotations

from tessera.store.database import Database

__all__ = ["RateLimits"]


class RateLimits:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def hit(self, bucket: str, window_start: int) -> int:
        """Count one hit in the window starting at ``window_start`` (Unix ms); the hits so far,
        this one included. A row left from an older window starts over at 1."""
        row = await self._db.fetchone(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1) "
            "ON CONFLICT (bucket) DO UPDATE SET "
            "hits = CASE WHEN rate_limits.window_start = excluded.window_start "
            "THEN rate_limits.hits + 1 ELSE 1 END, "
            "window_start = excluded.window_start "
            "RETURNING hits",
            bucket,
            window_start,
        )
        return int(row[0]) if row else 1

    async def refund(self, bucket: str, window_start: int) -> None:
        """Take back one hit of this window (a request that turned out not to count)."""
        await self._db.execute(
            "UPDATE rate_limits SET hits = hits - 1 "
            "WHERE bucket = ? AND window_start = ? AND hits > 0",
            bucket,
            window_start,
        )

    async def prune(self, before: int) -> int:
        """Delete buckets whose window started before ``before`` (Unix ms); how many."""
        return await self._db.execute("DELETE FROM rate_limits WHERE window_start < ?", before)
