"""What every record command shares: the connection options and how a command is run.

A record command is ``async def command(backend, args, out) -> int``. :func:`add_command`
registers it with the options every such command takes (``--database-url``, ``--api-url``,
``--instance``, ``--json``), accepted before or after the command name.
"""

from __future__ import annotations

import argparse
import asyncio
import textwrap
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tessera.cli.output import Output

if TYPE_CHECKING:
    from tessera.cli.backend import Backend

__all__ = [
    "Command",
    "add_command",
    "add_connection_options",
    "add_group",
    "add_paging",
    "finish_commands",
]

Command = Callable[["Backend", argparse.Namespace, Output], Awaitable[int]]

_CONNECTION_HELP = """\
Where a command acts: on the database (--database-url, default
$TESSERA_DATABASE_URL), or through a running server (--api-url, default
$TESSERA_API_URL, authorised by the instance's key in $TESSERA_SECRET_KEY).
Both print the same thing. These options go before or after the command."""


def add_connection_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every record command takes.

    They are added to the root parser (with defaults) and again to each command (without, so
    that a value given after the command name wins and an absent one does not erase it).
    """
    default: Any = None if defaults else argparse.SUPPRESS
    group = parser.add_argument_group("connection", _CONNECTION_HELP if defaults else None)
    group.add_argument(
        "--database-url",
        metavar="URL",
        default=default,
        help="act on this database (sqlite:///path.db or postgresql://…)",
    )
    group.add_argument(
        "--api-url",
        metavar="URL",
        default=default,
        help="act through the server at URL (e.g. https://auth.example.com)",
    )
    group.add_argument(
        "--instance",
        metavar="ID",
        default=default,
        help="with --database-url: the instance (ins_…) to act on; default the first one",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="print JSON (the API's objects) instead of a table",
    )


def add_group(
    commands: Any, name: str, help: str, description: str, *, epilog: str | None = None
) -> Any:
    """A command group such as ``tessera users``; returns its sub-command registry."""
    if epilog:  # a raw epilog keeps its lines, and the description then needs wrapping here
        description = textwrap.fill(description, 79)
    parser = commands.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter if epilog else argparse.HelpFormatter,
    )
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def add_command(
    actions: Any, name: str, command: Command, *, help: str, description: str | None = None
) -> argparse.ArgumentParser:
    """Register one record command; the caller adds its own arguments to the parser returned."""
    parser: argparse.ArgumentParser = actions.add_parser(
        name, help=help, description=description or _sentence(help)
    )
    # The connection options are added by finish_commands(), after the command's own, so that
    # usage lines and help list what is particular to the command first.
    parser.set_defaults(run=lambda args: asyncio.run(_run(command, args)), _record_command=True)
    return parser


def finish_commands(parser: argparse.ArgumentParser) -> None:
    """Give every record command under ``parser`` the connection options."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if sub.get_default("_record_command"):
                    add_connection_options(sub, defaults=False)
                finish_commands(sub)


def add_paging(parser: argparse.ArgumentParser) -> None:
    """``--limit`` and ``--offset`` for a list command."""
    parser.add_argument("--limit", type=_count(1, 500), default=20, help="at most N (default 20)")
    parser.add_argument("--offset", type=_count(0, 2**62), default=0, help="skip the first N")


def _count(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}")
        return int(text)

    return parse


async def _run(command: Command, args: argparse.Namespace) -> int:
    from tessera.cli.backend import open_backend

    backend = await open_backend(args)
    try:
        return await command(backend, args, Output(as_json=args.json))
    finally:
        await backend.close()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
