"""Log lines a client cannot forge: what a request carries is escaped before it is logged.

A path such as ``/x%0a2026-12-01 INFO tessera.access: GET /admin 200`` decodes to a line
break; written raw it would start a second, made-up log line. :func:`escape` writes every
control character (C0, DEL, C1, and the Unicode line and paragraph separators) as a Python
escape, and the backslash itself as ``\\\\``, so an escaped text reads back unambiguously.
:class:`Formatter` escapes the control characters of every message, as a second line of
defence.
"""

from __future__ import annotations

import logging
import re

__all__ = ["Formatter", "escape"]

_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_UNSAFE = re.compile(rf"[{_CONTROL}\\]")
_UNSAFE_CONTROL = re.compile(f"[{_CONTROL}]")


def _escaped(match: re.Match[str]) -> str:
    char = match[0]
    if char == "\\":
        return "\\\\"
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with its control characters and backslashes escaped: one printable line."""
    return _UNSAFE.sub(_escaped, text)


class Formatter(logging.Formatter):
    """A formatter whose message part is always one line (a traceback still follows it).
    Backslashes are left alone here, so that a field escaped already is not escaped twice."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message.rstrip("\r\n")  # a final line break forges nothing
        record.message = _UNSAFE_CONTROL.sub(_escaped, message)
        return super().formatMessage(record)
