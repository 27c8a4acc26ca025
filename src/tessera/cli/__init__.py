"""``tessera …``: the operator's command line. ``main(argv)`` returns the exit code.

Each command group lives in its own module with a ``register(commands)`` function, listed in
:data:`GROUPS`. Importing this package imports no server, store or Rich code: ``--help``
stays fast and each command loads only what it uses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from tessera.cli import records, server, signing_keys, tokens
from tessera.cli.base import add_connection_options, finish_commands
from tessera.cli.output import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
)

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

# The command groups, in the order `tessera --help` lists them. A new group is a module with
# `register(commands)` added here.
GROUPS = (server, records, tokens, signing_keys)

EPILOG = """\
exit codes:
  0    success
  1    the command failed (not found, refused by the server, a bad row in a bulk issue, …)
  2    usage or configuration error (a bad option, no database, no secret key, …)
  130  interrupted (Ctrl-C); a bulk issue can be resumed by running it again

Run `tessera COMMAND --help` for a command's options, e.g. `tessera tokens issue --help`.
Set TESSERA_DEBUG=1 to see a traceback instead of the one-line error.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tessera",
        description="Self-hosted sign-in tokens: one-time links that sign a user in.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_connection_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(commands)
    finish_commands(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code. Errors are one line on stderr, never a traceback."""
    args = build_parser().parse_args(argv)  # exits 2 with argparse's usage on a bad line
    try:
        code: int = args.run(args)
    except (KeyboardInterrupt, asyncio.CancelledError):
        _error("interrupted.")
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("TESSERA_DEBUG"):
            raise
        return _failed(exc, args)
    return code


def _failed(exc: Exception, args: argparse.Namespace) -> int:
    """Say what went wrong in one line; the exit code that goes with it."""
    from tessera.errors import ConfigError, NotFound, TesseraError

    if isinstance(exc, ConfigError):
        _error(exc.long_message)
        return EXIT_USAGE
    if isinstance(exc, CommandError):
        code = exc.code or ""
        message = str(exc)
    elif isinstance(exc, TesseraError):
        code = exc.code if not isinstance(exc, NotFound) else "resource_not_found"
        message = exc.long_message
    else:
        _error(f"unexpected {type(exc).__name__}: {exc}".rstrip(": "))
        return EXIT_FAILED
    if code == "resource_not_found" and message in ("Resource not found", "not found"):
        message = f"no such {_subject(args)}."
    _error(message if message.endswith(".") else message + ".")
    return exc.exit_code if isinstance(exc, CommandError) else EXIT_FAILED


def _subject(args: argparse.Namespace) -> str:
    """What a bare "not found" was about, from the command line: ``user user_2x…``."""
    for attr, kind in (("user_id", "user"), ("token_id", "sign-in token"), ("key_id", "key")):
        value = getattr(args, attr, None)
        if value:
            return f"{kind} {value}"
    return "record"


def _error(message: str) -> None:
    sys.stderr.write(f"tessera: error: {message}\n")
