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

__all__ = ["INT64_MAX", "INT64_MIN", "MAX_DEPTH", "check", "check_params", "has_surrogate"]

MAX_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_TWO_63 = 2.0**63
_TEXT = "text without lone surrogates (such as \\ud800)"


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, the one thing a str can hold and UTF-8 cannot."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_params(body: dict[str, Any]) -> bool:
    """:func:`check` each parameter of a decoded body, and its name (a name with a lone
    surrogate is echoed with it escaped, ``\\ud800``).

    True if the body holds a float of magnitude 2**63 or more: orjson reads an integer beyond
    64 bits as such a float, so the caller decodes the body exactly and checks it again.
    """
    large = False
    for name, value in body.items():
        if not name.isascii() and has_surrogate(name):
            escaped = name.encode("utf-8", "backslashreplace").decode("utf-8")
            raise ParamFormatInvalid(escaped, _TEXT)
        large = check(name, value) or large
    return large


def check(name: str, value: Any) -> bool:
    """Refuse ``value`` (the parameter ``name``) unless it is storable JSON; True if it holds
    a float of magnitude 2**63 or more (see :func:`check_params`)."""
    if isinstance(value, str):  # most parameters: no walk
        if not value.isascii() and has_surrogate(value):
            raise ParamFormatInvalid(name, _TEXT)
        return False
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return False
    return _walk(name, value)


def _walk(name: str, value: Any) -> bool:
    """Iterative, so a value nested 1,000 deep costs no Python stack; the walk stops at the
    first container past :data:`MAX_DEPTH`, so its work is bounded by the size of the body."""
    large = False
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                raise ParamFormatInvalid(name, _TEXT)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise ParamInvalid(name, "its integers must fit in 64 bits (signed)")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ParamInvalid(name, "its numbers must be finite (1e309 is not)")
            large = large or abs(item) >= _TWO_63
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise ParamInvalid(name, f"it must not be nested more than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)
    return large
