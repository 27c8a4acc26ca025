"""What the CLI prints: Rich tables for people, JSON for scripts, one-line errors, exit codes.

Every record reaches this module as the JSON object the HTTP API answers (Clerk's shapes), in
both modes, so a command prints the same thing whether it ran on the database or the server.
Rich is imported only when a table is printed: ``--json`` and ``--help`` stay fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Column",
    "CommandError",
    "Output",
    "UsageError",
    "when",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CommandError(Exception):
    """A failure the operator can act on; ``str(exc)`` is the whole one-line message.

    ``code`` is the Clerk error code when the failure came from the server.
    """

    exit_code = EXIT_FAILED

    fatal = False  # in a bulk issue: stop the run rather than skip the row

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class UsageError(CommandError):
    """The command line or the configuration is wrong (exit 2)."""

    exit_code = EXIT_USAGE
    fatal = True


def when(ms: Any) -> str:
    """A Unix-millisecond timestamp as ``2026-11-28 14:03:07Z``; blank for none."""
    if not isinstance(ms, int):
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@dataclass(frozen=True)
class Column:
    """One table column: its heading and how to read the cell from a record."""

    heading: str
    cell: Callable[[Mapping[str, Any]], Any]
    is_id: bool = False  # ids fold onto a second line rather than lose characters


class Output:
    """Where a command's results go: ``stdout`` (table or JSON) and ``stderr`` (notes)."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json

    def json(self, value: Any) -> None:
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")

    def line(self, text: str) -> None:
        sys.stdout.write(text + "\n")

    def note(self, text: str) -> None:
        """A remark for the operator, on stderr so that stdout stays parseable."""
        sys.stderr.write(f"tessera: {text}\n")

    def records(self, records: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> None:
        """A list: a JSON array, or a table (a line saying so when there is nothing)."""
        if self.as_json:
            self.json(list(records))
        elif not records:
            self.note("nothing to show.")
        else:
            self._table(records, columns)

    def record(self, record: Mapping[str, Any], columns: Sequence[Column]) -> None:
        """One record: its JSON object, or a two-column table of field and value."""
        if self.as_json:
            self.json(record)
            return
        from rich.table import Table

        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for column in columns:
            table.add_row(column.heading, _text(column.cell(record)))
        self._console().print(table)

    def _table(self, records: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> None:
        from rich import box
        from rich.table import Table

        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in columns:
            table.add_column(column.heading, overflow="fold", no_wrap=not column.is_id, min_width=4)
        for record in records:
            table.add_row(*(_text(column.cell(record)) for column in columns))
        self._console().print(table)

    @staticmethod
    def _console() -> Any:
        from rich.console import Console

        # Off a terminal, Rich would assume 80 columns and fold every id: use a wide page.
        interactive = sys.stdout.isatty()
        return Console(
            file=sys.stdout,
            width=None if interactive else 200,
            highlight=False,
            markup=False,  # a name such as "[admin] Ann" is data, not styling
            emoji=False,
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
