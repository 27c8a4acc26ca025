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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tessera.cli.base import add_command
from tessera.cli.bulk_run import Run, Tally, normal_email
from tessera.cli.ledger import InputRow
from tessera.cli.output import EXIT_FAILED, EXIT_OK, Output, UsageError

if TYPE_CHECKING:
    from tessera.cli.backend import Backend

__all__ = ["register"]

BATCH = 100  # rows whose users are looked up together

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
                row.values["email"] = normal_email(row.values["email"])
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


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
