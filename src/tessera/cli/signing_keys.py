"""``tessera signing-keys``: rotate, revoke, list and rewrap the keys that sign session tokens."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tessera.cli.base import add_command, add_group
from tessera.cli.output import EXIT_OK, Column, Output, when

if TYPE_CHECKING:
    from tessera.cli.backend import Backend, Json

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
    "its kid) is in the JWKS ({iss}/.well-known/jwks.json, /.well-known/jwks.json, /v1/jwks). "
    "Rotating makes a new current key at once, on every server of the database; the previous "
    "key stops signing, its private half is erased, and its public half stays published "
    "until every token it signed has expired. Revoking is for a key that leaked: it leaves "
    "the JWKS of every server at once (their next JWKS answer), so no token it signed, "
    "genuine or forged, verifies any more, and the sessions it signed are revoked in the "
    "same transaction (their users sign in again). Revoking the current key first makes a "
    "new one. Private keys are sealed with TESSERA_ENCRYPTION_KEY when it is set; rewrap "
    "seals them all under it (opening them with TESSERA_PREVIOUS_ENCRYPTION_KEY, or from "
    "plaintext). Managed on the database (--database-url) only; private keys are never shown."
)
EXAMPLES = """\
examples:
  tessera signing-keys rotate
  tessera signing-keys rotate --instance ins_2x… --algorithm EdDSA
  tessera signing-keys rotate --revoke-previous     # the current key leaked
  tessera signing-keys revoke jwk_2x…
  tessera signing-keys list --json
  TESSERA_ENCRYPTION_KEY=new… TESSERA_PREVIOUS_ENCRYPTION_KEY=old… tessera signing-keys rewrap
"""


def register(commands: Any) -> None:
    group = add_group(
        commands,
        "signing-keys",
        "rotate, revoke, list and rewrap the keys that sign session tokens",
        DESCRIPTION,
        epilog=EXAMPLES,
    )
    rotate = add_command(
        group,
        "rotate",
        _rotate,
        help="make a new signing key; the previous one stays published until its tokens "
        "expire, unless --revoke-previous",
    )
    _algorithm_option(rotate, "the new key's algorithm")
    rotate.add_argument(
        "--revoke-previous",
        action="store_true",
        help="revoke the previous key at once: it leaves the JWKS and the sessions it signed "
        "are revoked (for a key that leaked)",
    )
    revoke = add_command(
        group,
        "revoke",
        _revoke,
        help="revoke a key now: out of the JWKS, its sessions revoked (the current key is "
        "replaced by a new one first)",
    )
    revoke.add_argument("key_id", metavar="KID", help="the key's id (jwk_…), as listed")
    _algorithm_option(revoke, "the replacement's algorithm when KID is the current key")
    add_command(
        group,
        "list",
        _list,
        help="list the instance's signing keys, newest first (public parts only)",
    )
    add_command(
        group,
        "rewrap",
        _rewrap,
        help="seal every stored private key (all instances) under TESSERA_ENCRYPTION_KEY",
    )


def _algorithm_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        help=f"{what}: RS256 (what Clerk's verifyToken accepts) or EdDSA; it also becomes the "
        "instance's setting for later rotations (default: the instance's setting, RS256)",
    )


async def _rotate(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    if args.revoke_previous:
        return _revoked(await backend.revoke_signing_key(None, algorithm=args.algorithm), out)
    key = await backend.rotate_signing_key(args.algorithm)
    if out.as_json:
        out.json(key)
        return EXIT_OK
    out.record(key, KEY_COLUMNS[:3] + KEY_COLUMNS[4:5])
    previous = [k for k in await backend.list_signing_keys() if k["id"] != key["id"]]
    if previous and previous[0]["published"]:
        out.note(
            f"the previous key {previous[0]['id']} still verifies the tokens it signed; it "
            f"stays in the JWKS until {when(previous[0]['publish_until'])} (revoke it with "
            f"`tessera signing-keys revoke {previous[0]['id']}` if it leaked)."
        )
    return EXIT_OK


async def _revoke(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    return _revoked(await backend.revoke_signing_key(args.key_id, algorithm=args.algorithm), out)


def _revoked(done: Json, out: Output) -> int:
    if out.as_json:
        out.json(done)
        return EXIT_OK
    revoked, replacement = done["revoked"], done["replacement"]
    out.record(revoked, KEY_COLUMNS[:3])
    if replacement is not None:
        out.note(f"the new current key is {replacement['id']} ({replacement['algorithm']}).")
    out.note(
        f"revoked {revoked['id']}: it is out of the JWKS and verifies no token any more; "
        f"{done['sessions_revoked']} sessions it signed were revoked."
    )
    return EXIT_OK


async def _list(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.records(await backend.list_signing_keys(), KEY_COLUMNS)
    return EXIT_OK


async def _rewrap(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    done = await backend.rewrap_signing_keys()
    if out.as_json:
        out.json(done)
    else:
        out.note(f"sealed {done['rewrapped']} private keys under TESSERA_ENCRYPTION_KEY.")
    return EXIT_OK
