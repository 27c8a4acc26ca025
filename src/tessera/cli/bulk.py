"""``tessera tokens issue``: a sign-in link for every user in a CSV, resumable.

Rows are issued one at a time, in file order; each link is appended to the output file and
flushed before the next row starts, so an interruption loses nothing and a rerun skips the
rows already there (see ``ledger.py`` for the one gap a kill can leave, and how it is closed).
A bad row is reported with its line number and the run goes on; the store being unreachable,
a refused key or a bad setting stops it, since every later row would fail the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tessera.cli.base import add_command
from tessera.cli.ledger import InputRow
from tessera.cli.output import EXIT_FAILED, EXIT_OK, CommandError, Output, UsageError

if TYPE_CHECKING:
    from tessera.cli.backend import Backend, Json
    from tessera.cli.ledger import Journal, Ledger
    from tessera.cli.progress import Reporter

__all__ = ["register"]

BATCH = 100  # rows whose users are looked up together
CLOCK_SKEW_MS = 5 * 60 * 1000  # how far the server's clock may be behind ours, for recovery
_FATAL_CODES = {"clerk_key_invalid", "authorization_header_format_invalid"}

DESCRIPTION = """\
Issue a sign-in link for every user listed in a CSV file and write them to another CSV.

The input needs a header row. Users are found by the first non-empty column of user_id,
email (or email_address) and external_id; with --create-missing, users not found by email
or external id are created (also from first_name, last_name, username columns).

The output has the columns line, user_id, email, external_id, sign_in_token_id, url. Each
link is written as soon as it exists, so the run can be stopped at any time (Ctrl-C) and
resumed by running the same command again: rows already in the output are skipped, and no
user ends up with two links from the run. Bad rows are reported with their line numbers and
left out; fix them and rerun. Exit code 0 when every row has a link, 1 when some failed.
"""


def register(actions: Any, add_link_options: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = add_command(
        actions,
        "issue",
        _issue,
        help="issue links in bulk from a CSV of users (resumable)",
        description=DESCRIPTION,
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--csv", metavar="FILE", type=Path, required=True, help="users to link")
    parser.add_argument(
        "--out", metavar="FILE", type=Path, required=True, help="where the links go (appended)"
    )
    parser.add_argument(
        "--create-missing",
        action="store_true",
        help="create users not found by email or external_id",
    )
    add_link_options(parser)
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "lines"),
        default="auto",
        help="a live bar (default on a terminal) or plain lines (default otherwise)",
    )


@dataclass
class Tally:
    issued: int = 0
    skipped: int = 0
    created_users: int = 0
    recovered: int = 0
    failed: list[int] = field(default_factory=list)


@dataclass
class Run:
    """One bulk issue in progress: the backend, the files, the options and the counts."""

    backend: Backend
    ledger: Ledger
    journal: Journal
    reporter: Reporter
    args: argparse.Namespace
    tally: Tally = field(default_factory=Tally)
    last_created_ms: int | None = None
    known: dict[tuple[str, str | None], Json] = field(default_factory=dict)  # found by look_up

    async def row(self, row: InputRow) -> None:
        """Issue one row's link, or report why not; raise only what must stop the run."""
        try:
            outcome = await self._issue(row)
        except CommandError as exc:
            if exc.fatal or exc.code in _FATAL_CODES:
                raise
            outcome = self._failed(row, str(exc))
        except Exception as exc:
            from tessera.errors import ConfigError, TesseraError

            if not isinstance(exc, TesseraError) or isinstance(exc, ConfigError):
                raise
            outcome = self._failed(row, exc.long_message)
        self.reporter.advance(outcome)

    def _failed(self, row: InputRow, message: str) -> str:
        self.tally.failed.append(row.line)
        self.reporter.problem(f"line {row.line}: {message.rstrip('.')}.")
        return "failed"

    async def _issue(self, row: InputRow) -> str:
        kind, value = _identifier(row)
        if self.ledger.holds(kind, value):
            self.tally.skipped += 1
            return "skipped"
        user = await self._user(row)
        if user is None:
            what = "email" if "email" in row.values else "external_id"
            return self._failed(
                row, f"no user with {what} {row.values[what]} (--create-missing creates it)"
            )
        if self.ledger.holds("user_id", user["id"]):
            self.tally.skipped += 1
            return "skipped"
        return await self._link(row, user)

    async def _user(self, row: InputRow) -> Json | None:
        """The row's user: by id (checked by the create itself), email, then external id."""
        values = row.values
        if "user_id" in values:
            return {"id": values["user_id"], "email_addresses": []}
        for kind in ("email", "external_id"):
            if (kind, values.get(kind)) in self.known:
                return self.known[kind, values[kind]]
        if not self.args.create_missing:
            return None
        names = ("external_id", "first_name", "last_name", "username")
        user = await self.backend.create_user(
            [values["email"]] if "email" in values else [],
            {k: values[k] for k in names if k in values},
        )
        self.tally.created_users += 1
        self._remember(user)
        return user

    async def look_up(self, rows: list[InputRow]) -> None:
        """Find the users of a batch of rows in two queries (by email, by external id).

        One query per row would cost a round trip each over the API, and the store answers
        a query for 100 addresses about as fast as for one.
        """
        self.known.clear()
        wanted: dict[str, set[str]] = {"email": set(), "external_id": set()}
        for row in rows:
            for kind, found in wanted.items():
                value = row.values.get(kind)
                if value is not None and not self.ledger.holds(kind, value):
                    found.add(value)
        for kind, values in wanted.items():
            if values:
                for user in await self.backend.list_users(
                    email=sorted(values) if kind == "email" else [],
                    external_id=sorted(values) if kind == "external_id" else [],
                    limit=len(values),
                    offset=0,
                ):
                    self._remember(user)

    def _remember(self, user: Json) -> None:
        for email in user.get("email_addresses") or []:
            self.known["email", email["email_address"]] = user
        if user.get("external_id"):
            self.known["external_id", user["external_id"]] = user

    async def _link(self, row: InputRow, user: Json) -> str:
        since = self.last_created_ms or int(time.time() * 1000) - CLOCK_SKEW_MS
        self.journal.intent(user["id"], since)
        try:
            token = await self.backend.create_token(
                user["id"],
                expires_in_seconds=self.args.expires,
                redirect_url=self.args.redirect_url,
            )
        except CommandError as exc:
            if not exc.fatal:  # the server answered with an error: nothing was created
                self.journal.clear()
            raise
        except Exception:
            self.journal.clear()  # the store refused it: nothing was created
            raise
        self.last_created_ms = token["created_at"]
        emails = [e["email_address"] for e in user.get("email_addresses") or []]
        self.ledger.append(
            {
                "line": str(row.line),
                "user_id": user["id"],
                "email": row.values.get("email", "").lower() or (emails[0] if emails else ""),
                "external_id": row.values.get("external_id") or user.get("external_id") or "",
                "sign_in_token_id": token["id"],
                "url": token["url"],
            }
        )
        self.tally.issued += 1
        return "issued"

    async def recover(self) -> None:
        """Revoke the token a killed run created but never recorded (see ``ledger.py``)."""
        unfinished = self.journal.unfinished()
        if unfinished is None or self.ledger.holds("user_id", unfinished[0]):
            return
        user_id, since = unfinished
        page = await self.backend.list_tokens(
            user_id=user_id, status="pending", limit=500, offset=0
        )
        for token in page["data"]:
            if token["created_at"] >= since:
                try:
                    await self.backend.revoke_token(token["id"])
                except CommandError:
                    continue  # accepted or revoked meanwhile: pending no more either way
                self.tally.recovered += 1
                self.reporter.problem(
                    f"revoked {token['id']} of {user_id}: created by an interrupted run, "
                    "its link was never recorded; a new one is issued."
                )


def _identifier(row: InputRow) -> tuple[str, str]:
    """The row's first identifier, normalised as the output file records it."""
    from tessera.cli.ledger import IDENTIFIERS

    for kind in IDENTIFIERS:
        if kind in row.values:
            value = row.values[kind]
            if kind == "email":
                value = row.values["email"] = _normal_email(value)
            return kind, value
    raise CommandError("no user_id, email or external_id", code="row_invalid")


async def _issue(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    from tessera.cli.ledger import Journal, Ledger, read_rows
    from tessera.cli.progress import reporter_for

    if args.csv.resolve() == args.out.resolve():
        raise UsageError("--out must not be the --csv file.")
    total, rows = read_rows(args.csv)
    ledger = Ledger.open(args.out)
    journal = Journal(args.out.with_name(args.out.name + ".journal"))
    started = time.monotonic()
    with reporter_for(args.progress, total) as reporter:
        run = Run(backend, ledger, journal, reporter, args)
        try:
            await run.recover()
            journal.start()
            await _each_row(run, rows)
            journal.finish()
        except asyncio.CancelledError:
            journal.finish()  # the row in flight was completed before stopping
            _summary(out, run.tally, args, time.monotonic() - started, interrupted=True)
            raise
        finally:
            ledger.close()
            journal.close()
    _summary(out, run.tally, args, time.monotonic() - started, interrupted=False)
    return EXIT_FAILED if run.tally.failed else EXIT_OK


async def _each_row(run: Run, rows: Iterator[InputRow]) -> None:
    """Every row in order. A stop request (Ctrl-C, SIGTERM) lands between rows, never inside
    one: the row in flight is finished and recorded first."""
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    if current is not None:
        loop.add_signal_handler(signal.SIGTERM, current.cancel)
    try:
        for batch in _batches(rows, BATCH):
            await run.look_up(batch)
            for row in batch:
                task = asyncio.ensure_future(run.row(row))
                try:
                    await asyncio.shield(task)
                except asyncio.CancelledError:
                    await task
                    raise
                await asyncio.sleep(0)  # a point where a stop request can land
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _batches(rows: Iterator[InputRow], size: int) -> Iterator[list[InputRow]]:
    """Rows in lists of ``size``, their emails normalised (a bad one is left for its row)."""
    batch: list[InputRow] = []
    for row in rows:
        if "email" in row.values:
            with contextlib.suppress(Exception):
                row.values["email"] = _normal_email(row.values["email"])
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _normal_email(address: str) -> str:
    from tessera.users import normalize_email

    return normalize_email(address)


def _summary(
    out: Output, tally: Tally, args: argparse.Namespace, seconds: float, *, interrupted: bool
) -> None:
    rate = tally.issued / seconds if seconds > 0 else 0.0
    summary = {
        "object": "bulk_issue",
        "out": str(args.out),
        "issued": tally.issued,
        "skipped": tally.skipped,
        "failed": len(tally.failed),
        "failed_lines": tally.failed,
        "created_users": tally.created_users,
        "recovered": tally.recovered,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rate, 1),
        "interrupted": interrupted,
    }
    if out.as_json:
        out.json(summary)
        return
    out.line(
        f"{'interrupted: ' if interrupted else ''}issued {tally.issued} links in {seconds:.1f} s "
        f"({rate:.0f}/s) to {args.out}; skipped {tally.skipped} already there; "
        f"{len(tally.failed)} failed; created {tally.created_users} users."
    )
    if tally.failed:
        lines = ", ".join(str(n) for n in tally.failed[:20])
        more = f" and {len(tally.failed) - 20} more" if len(tally.failed) > 20 else ""
        out.line(f"failed lines: {lines}{more} (fix them and run the same command again)")
    if interrupted:
        out.line("run the same command again to resume where it stopped.")
