"""``tessera signing-keys``: rotate and list the keys that sign session tokens."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tessera.cli.base import add_command, add_group
from tessera.cli.output import EXIT_OK, Column, Output, when

if TYPE_CHECKING:
    from tessera.cli.backend import Backend

__all__ = ["register"]

ALGORITHMS = ("RS256", "EdDSA")
KEY_COLUMNS = [
    Column("KID", lambda r: r["id"], is_id=True),
    Column("ALGORITHM", lambda r: r["algorithm"]),
    Column("STATUS", lambda r: r["status"]),
    Column("PUBLISHED", lambda r: r["published"]),
    Column("CREATED", lambda r: when(r["created_at"])),
    Column("PUBLISH UNTIL", lambda r: when(r["publish_until"])),
]

DESCRIPTION = (
    "Session tokens are JWTs signed by the instance's current key, whose public half (with "
    "its kid) is in the JWKS (/.well-known/jwks.json, /v1/jwks). Rotating makes a new current "
    "key at once, on every server of the database; the previous key stops signing, its "
    "private half is erased, and its public half stays published until every token it signed "
    "has expired. Managed on the database (--database-url) only; private keys are never shown."
)
EXAMPLES = """\
examples:
  tessera signing-keys rotate
  tessera signing-keys rotate --instance ins_2x… --algorithm EdDSA
  tessera signing-keys list --json
"""


def register(commands: Any) -> None:
    group = add_group(
        commands,
        "signing-keys",
        "rotate and list the keys that sign session tokens",
        DESCRIPTION,
        epilog=EXAMPLES,
    )
    rotate = add_command(
        group,
        "rotate",
        _rotate,
        help="make a new signing key; the previous one stays published until its tokens expire",
    )
    rotate.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        help="RS256 (what Clerk's verifyToken accepts) or EdDSA; it also becomes the "
        "instance's setting for later rotations (default: the instance's setting, RS256)",
    )
    add_command(
        group,
        "list",
        _list,
        help="list the instance's signing keys, newest first (public parts only)",
    )


async def _rotate(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    key = await backend.rotate_signing_key(args.algorithm)
    if out.as_json:
        out.json(key)
        return EXIT_OK
    out.record(key, KEY_COLUMNS[:3] + KEY_COLUMNS[4:5])
    previous = [k for k in await backend.list_signing_keys() if k["id"] != key["id"]]
    if previous and previous[0]["published"]:
        out.note(
            f"the previous key {previous[0]['id']} still verifies the tokens it signed; it "
            f"stays in the JWKS until {when(previous[0]['publish_until'])}."
        )
    return EXIT_OK


async def _list(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.records(await backend.list_signing_keys(), KEY_COLUMNS)
    return EXIT_OK
