"""The one clock. Everything that needs "now" is handed a :data:`Clock`; tests pass their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "from_ms", "system_clock", "to_ms"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def to_ms(moment: datetime) -> int:
    """Unix milliseconds, the unit of every timestamp on the wire and in the store."""
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
