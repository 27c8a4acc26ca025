"""Prefixed, time-sortable identifiers: ``user_``, ``sit_``, ``sess_``, ``ins_`` + 27 base62.

The 27 characters encode 20 bytes, KSUID-style: a 4-byte big-endian count of seconds since
2014-05-13 (the KSUID epoch) and 16 random bytes. Ids made in a later second sort after.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from tessera.crypto import base62

__all__ = ["ID_LENGTH", "is_id", "new_id"]

KSUID_EPOCH = 1_400_000_000
ID_LENGTH = 27
_ID = re.compile(r"[0-9A-Za-z]{27}")


def new_id(prefix: str, now: datetime) -> str:
    """A new id such as ``sit_2hJx…``; ``prefix`` without the underscore."""
    seconds = max(0, int(now.timestamp()) - KSUID_EPOCH)
    raw = (seconds << 128) | int.from_bytes(secrets.token_bytes(16), "big")
    return f"{prefix}_{base62(raw, ID_LENGTH)}"


def is_id(value: str, prefix: str) -> bool:
    """Whether ``value`` could be an id of this kind (checked before any store lookup)."""
    head = prefix + "_"
    return value.startswith(head) and _ID.fullmatch(value, len(head)) is not None
