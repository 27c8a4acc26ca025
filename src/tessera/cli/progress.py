"""Progress of a bulk issue on stderr: a live Rich bar on a terminal, plain lines otherwise.

Both show rows done of the total, the rate and the time left, and print problems (a bad row,
a recovered token) as they happen, so stdout keeps only the summary.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["LineReporter", "Reporter", "reporter_for"]


class Reporter(Protocol):
    def advance(self, outcome: str) -> None:
        """One row done: ``issued``, ``skipped`` or ``failed``."""

    def problem(self, message: str) -> None: ...


@contextmanager
def reporter_for(mode: str, total: int) -> Iterator[Reporter]:
    """``bar``, ``lines``, or ``auto`` (a bar when stderr is a terminal)."""
    if mode == "bar" or (mode == "auto" and sys.stderr.isatty()):
        with _bar(total) as reporter:
            yield reporter
    else:
        reporter = LineReporter(total)
        yield reporter
        reporter.done()


class LineReporter:
    """A line every 10% or every 5 seconds: readable in a log or a CI job."""

    def __init__(self, total: int, *, every_seconds: float = 5.0) -> None:
        self.total, self.count, self.every = total, 0, every_seconds
        self.started = self.last = time.monotonic()
        self.step = max(1, total // 10)

    def advance(self, outcome: str) -> None:
        self.count += 1
        now = time.monotonic()
        if self.count % self.step == 0 or now - self.last >= self.every:
            self.last = now
            self._line(now)

    def problem(self, message: str) -> None:
        sys.stderr.write(f"tessera: {message}\n")

    def done(self) -> None:
        if self.count % self.step:
            self._line(time.monotonic())

    def _line(self, now: float) -> None:
        elapsed = now - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.count) / rate if rate > 0 else 0.0
        sys.stderr.write(
            f"tessera: {self.count}/{self.total} rows, {rate:.0f} rows/s, "
            f"about {_duration(left)} left\n"
        )
        sys.stderr.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


@contextmanager
def _bar(total: int) -> Iterator[Reporter]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} rows/s")

    console = Console(file=sys.stderr, markup=False, highlight=False, emoji=False)
    progress = Progress(
        TextColumn("issuing"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("issue", total=total)

        class BarReporter:
            def advance(self, outcome: str) -> None:
                progress.advance(task)

            def problem(self, message: str) -> None:
                console.print(f"tessera: {message}")

        yield BarReporter()
