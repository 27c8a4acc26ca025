"""Prefixed, time-sortable identifiers: ``user_``, ``sit_``, ``sess_``, ``ins_`` + 27 base62.

KSUID-like: 7 base62 digits of milliseconds since 2014-05-13 (the KSUID epoch; good for
111 years), then 20 random base62 characters (119 bits). Ids made in a later millisecond
sort after, as strings and in the database.
"""

from __future__ import annotations

import re
from datetime import datetime

from tessera.crypto import base62, random_base62

__all__ = ["ID_LENGTH", "is_id", "new_id"]

KSUID_EPOCH_MS = 1_400_000_000_000
ID_LENGTH = 27
_TIME_DIGITS = 7
_ID = re.compile(r"[0-9A-Za-z]{27}")


def new_id(prefix: str, now: datetime) -> str:
    """A new id such as ``sit_2hJx…``; ``prefix`` without the underscore."""
    ms = max(0, int(now.timestamp() * 1000) - KSUID_EPOCH_MS)
    return f"{prefix}_{base62(ms, _TIME_DIGITS)}{random_base62(ID_LENGTH - _TIME_DIGITS)}"


def is_id(value: str, prefix: str) -> bool:
    """Whether ``value`` could be an id of this kind (checked before any store lookup)."""
    head = prefix + "_"
    return value.startswith(head) and _ID.fullmatch(value, len(head)) is not None
