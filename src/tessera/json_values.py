"""What a decoded JSON value may hold to be stored and sent back: the limits every request
body and every metadata object obey, whoever sends it (the API or the CLI).

Python's JSON reader accepts what no store can keep: lone surrogates (``"\\ud800"`` is valid
JSON but not UTF-8), integers of any size, and ``1e309`` read as infinity. Each is refused here
with the name of the parameter that holds it, and so is nesting past :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import math
from typing import Any

from tessera.errors import ParamFormatInvalid, ParamInvalid

__all__ = ["INT64_MAX", "INT64_MIN", "MAX_DEPTH", "check", "has_surrogate", "param_name"]

MAX_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, the one thing a str can hold and UTF-8 cannot."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def param_name(name: str) -> str:
    """``name`` as it can be echoed in an error: a lone surrogate becomes ``\\udXXX``."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def check(name: str, value: Any) -> None:
    """Refuse ``value`` (the parameter ``name``) unless it is storable JSON.

    Iterative, so a value nested 1,000 deep costs no Python stack; the walk stops at the first
    container past :data:`MAX_DEPTH`, so its work is bounded by the size of the body.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                raise ParamFormatInvalid(name, "text without lone surrogates (such as \\ud800)")
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise ParamInvalid(name, "its integers must fit in 64 bits (signed)")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ParamInvalid(name, "its numbers must be finite (1e309 is not)")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise ParamInvalid(name, f"it must not be nested more than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
