"""``tessera tokens``: sign-in links, one at a time (``create``) or from a CSV (``issue``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tessera.cli import bulk
from tessera.cli.base import add_command, add_group, add_paging
from tessera.cli.output import EXIT_OK, Column, Output, when
from tessera.config import parse_duration

if TYPE_CHECKING:
    from tessera.cli.backend import Backend

__all__ = ["duration", "register"]

TOKEN_COLUMNS = [
    Column("ID", lambda r: r["id"], is_id=True),
    Column("USER", lambda r: r["user_id"], is_id=True),
    Column("STATUS", lambda r: r["status"]),
    Column("CREATED", lambda r: when(r["created_at"])),
    Column("UPDATED", lambda r: when(r["updated_at"])),
]
STATUSES = ("pending", "accepted", "revoked")


def duration(text: str) -> int:
    """An ``--expires`` value (``600``, ``10m``, ``12h``, ``30d``, ``2w``) in seconds."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_link_options(parser: argparse.ArgumentParser) -> None:
    """``--expires`` and ``--redirect-url``, shared by ``create`` and ``issue``."""
    parser.add_argument(
        "--expires",
        metavar="DURATION",
        type=duration,
        help="lifetime of the link: 600, 10m, 12h, 30d, 2w (default 30d)",
    )
    parser.add_argument(
        "--redirect-url",
        metavar="URL",
        help="where the user lands once signed in (must be on the instance's allow-list)",
    )


EXAMPLES = """\
examples:
  tessera tokens create --user user_2x… --expires 15m
  tessera tokens list --user user_2x… --status pending
  tessera tokens revoke-all --user user_2x…
  tessera tokens issue --csv users.csv --out links.csv --create-missing
"""


def register(commands: Any) -> None:
    group = add_group(
        commands,
        "tokens",
        "create, list, show and revoke sign-in tokens; issue links in bulk",
        "Sign-in tokens are one-time links that sign a user in. A link is shown once, when "
        "its token is created: only a hash of it is stored.",
        epilog=EXAMPLES,
    )
    create = add_command(
        group,
        "create",
        _create,
        help="create a sign-in token and print its link",
        description="Create a sign-in token for a user and print its link (with --json, the "
        "whole token object, link included). The link is shown this once.",
    )
    create.add_argument("--user", metavar="USER_ID", required=True, help="the user (user_…)")
    add_link_options(create)

    listing = add_command(group, "list", _list, help="list sign-in tokens, newest first")
    listing.add_argument("--user", metavar="USER_ID", help="only this user's tokens")
    listing.add_argument("--status", choices=STATUSES, help="only tokens in this status")
    add_paging(listing)

    get = add_command(group, "get", _get, help="show one sign-in token (never its link)")
    get.add_argument("token_id", metavar="TOKEN_ID", help="the token's id (sit_…)")
    revoke = add_command(group, "revoke", _revoke, help="revoke a pending sign-in token")
    revoke.add_argument("token_id", metavar="TOKEN_ID", help="the token's id (sit_…)")
    revoke_all = add_command(
        group, "revoke-all", _revoke_all, help="revoke every pending token of a user"
    )
    revoke_all.add_argument("--user", metavar="USER_ID", required=True, help="the user (user_…)")

    bulk.register(group, add_link_options)


async def _create(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    token = await backend.create_token(
        args.user, expires_in_seconds=args.expires, redirect_url=args.redirect_url
    )
    if out.as_json:
        out.json(token)
    else:
        out.line(token["url"])
    return EXIT_OK


async def _list(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    page = await backend.list_tokens(
        user_id=args.user, status=args.status, limit=args.limit, offset=args.offset
    )
    out.records(page["data"], TOKEN_COLUMNS)
    shown, total = len(page["data"]), page["total_count"]
    if not out.as_json and shown < total:
        out.note(f"showing {shown} of {total}: use --offset {args.offset + shown} for more.")
    return EXIT_OK


async def _get(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.record(await backend.get_token(args.token_id), TOKEN_COLUMNS)
    return EXIT_OK


async def _revoke(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.record(await backend.revoke_token(args.token_id), TOKEN_COLUMNS)
    return EXIT_OK


async def _revoke_all(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    result = await backend.revoke_all_tokens(args.user)
    if out.as_json:
        out.json(result)
    else:
        count = result["revoked_count"]
        out.line(f"revoked {count} pending token{'' if count == 1 else 's'} of {args.user}")
    return EXIT_OK
