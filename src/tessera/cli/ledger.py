"""The files of a bulk issue: the input rows, the output links, and the in-flight journal.

The output CSV is the record of what was issued: one row per link, appended and flushed as
soon as its token exists, so a rerun skips exactly the rows it holds. The one gap is a token
created but not yet written when the process is killed. Rows are issued one at a time, so at
most one row can be in that gap: before each create, the journal (``OUT.journal``) names the
user and a time no later than the token's ``created_at``; a rerun that finds the last entry
without its link revokes that user's pending tokens created since (nobody ever saw their
link) and issues a fresh one. Data is flushed to the operating system, not fsynced: it
survives the process being killed, not the machine losing power.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tessera.cli.output import UsageError

__all__ = [
    "IDENTIFIERS",
    "OUT_COLUMNS",
    "InputRow",
    "Journal",
    "Ledger",
    "open_private",
    "read_rows",
]

IDENTIFIERS = ("user_id", "email", "external_id")
_ALIASES = {"id": "user_id", "email_address": "email"}
_KNOWN = {*IDENTIFIERS, "first_name", "last_name", "username"}
OUT_COLUMNS = ["line", "user_id", "email", "external_id", "sign_in_token_id", "url"]


@dataclass(frozen=True)
class InputRow:
    """One data row of the input CSV, by known column name (blank cells left out)."""

    line: int
    values: dict[str, str]


def _column(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key, key)


def read_rows(path: Path) -> tuple[int, Iterator[InputRow]]:
    """How many data rows the CSV has, and the rows; UsageError if it cannot be used at all."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [_column(c) for c in next(reader, [])]
            total = sum(1 for row in reader if any(cell.strip() for cell in row))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path} is not a UTF-8 CSV file: {exc}.") from None
    if not set(header) & set(IDENTIFIERS):
        raise UsageError(
            f"{path} needs a header row naming a user_id, email or external_id column."
        )
    return total, _rows(path, header)


def _rows(path: Path, header: list[str]) -> Iterator[InputRow]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader)
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            values = {
                name: cell.strip()
                for name, cell in zip(header, cells, strict=False)
                if name in _KNOWN and cell.strip()
            }
            if any(cell.strip() for cell in cells):
                yield InputRow(line, values)


@dataclass
class Ledger:
    """The output CSV: what earlier runs issued (to skip), and the appender for this one."""

    path: Path
    user_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    external_ids: set[str] = field(default_factory=set)
    _handle: IO[str] | None = None
    _writer: csv.DictWriter[str] | None = None

    @classmethod
    def open(cls, path: Path) -> Ledger:
        ledger = cls(path)
        exists = path.exists() and path.stat().st_size > 0
        if exists:
            ledger._load()
        try:
            ledger._handle = open_private(path, "a")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}.") from None
        ledger._writer = csv.DictWriter(ledger._handle, OUT_COLUMNS)
        if not exists:
            ledger._writer.writeheader()
            ledger._handle.flush()
        return ledger

    def _load(self) -> None:
        with self.path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames != OUT_COLUMNS:
                raise UsageError(
                    f"{self.path} exists and is not the output of `tessera tokens issue`: "
                    "choose another --out."
                )
            for row in reader:
                self._remember(row)

    def _remember(self, row: dict[str, str]) -> None:
        self.user_ids.add(row["user_id"])
        if row["email"]:
            self.emails.add(row["email"])
        if row["external_id"]:
            self.external_ids.add(row["external_id"])

    def holds(self, kind: str, value: str) -> bool:
        """Whether a link was already issued for this user id, email or external id."""
        found = {"user_id": self.user_ids, "email": self.emails, "external_id": self.external_ids}
        return value in found[kind]

    def append(self, row: dict[str, str]) -> None:
        """Record one link, flushed before the next row starts."""
        assert self._writer is not None and self._handle is not None
        self._writer.writerow(row)
        self._handle.flush()
        self._remember(row)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    @property
    def count(self) -> int:
        return len(self.user_ids)


class Journal:
    """``OUT.journal``: which user's token is being created right now, if any."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def unfinished(self) -> tuple[str, int] | None:
        """The last intent a killed run left, as ``(user_id, since_ms)``, or None."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        last = lines[-1] if lines else "-"
        user_id, _, since = last.partition(",")
        return (user_id, int(since)) if since.isdigit() else None

    def start(self) -> None:
        self._handle = open_private(self.path, "w")

    def intent(self, user_id: str, since_ms: int) -> None:
        assert self._handle is not None
        self._handle.write(f"{user_id},{since_ms}\n")
        self._handle.flush()

    def clear(self) -> None:
        """Nothing is in flight (the row was recorded, or its create failed)."""
        assert self._handle is not None
        self._handle.write("-\n")
        self._handle.flush()

    def close(self) -> None:
        """Close the file, keeping it: a rerun reads what was in flight."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self) -> None:
        """Nothing is in flight and the run is over: the journal is no longer needed."""
        self.close()
        if self.path.exists():
            os.unlink(self.path)


def open_private(path: Path, mode: str) -> IO[str]:
    """``path`` opened to write (``"w"``) or append (``"a"``), readable by its owner only.

    The file is created 0600 whatever the umask, and one that already exists is made 0600:
    the links it holds sign people in.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, mode, newline="", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise
