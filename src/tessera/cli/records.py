"""``tessera instances``, ``tessera api-keys`` and ``tessera users``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tessera import json_values
from tessera.cli.base import add_command, add_group, add_paging
from tessera.cli.output import EXIT_OK, Column, Output, UsageError, when

if TYPE_CHECKING:
    from tessera.cli.backend import Backend, Json

__all__ = ["register"]

INSTANCE_COLUMNS = [
    Column("ID", lambda r: r["id"], is_id=True),
    Column("NAME", lambda r: r["name"]),
    Column("CREATED", lambda r: when(r["created_at"])),
]
KEY_COLUMNS = [
    Column("ID", lambda r: r["id"], is_id=True),
    Column("KEY", lambda r: r["prefix"] + "…"),
    Column("CREATED", lambda r: when(r["created_at"])),
    Column("REVOKED", lambda r: when(r["revoked_at"])),
]


def _emails(user: Mapping[str, Any]) -> str:
    return ", ".join(e["email_address"] for e in user.get("email_addresses") or [])


def _name(user: Mapping[str, Any]) -> str:
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)


USER_COLUMNS = [
    Column("ID", lambda r: r["id"], is_id=True),
    Column("EMAIL", _emails),
    Column("EXTERNAL ID", lambda r: r.get("external_id")),
    Column("NAME", _name),
    Column("BANNED", lambda r: r.get("banned")),
    Column("CREATED", lambda r: when(r["created_at"])),
]
USER_DETAIL = [
    *USER_COLUMNS[:4],
    Column("USERNAME", lambda r: r.get("username")),
    *USER_COLUMNS[4:],
    Column("UPDATED", lambda r: when(r["updated_at"])),
    Column("PUBLIC METADATA", lambda r: json.dumps(r.get("public_metadata") or {})),
    Column("PRIVATE METADATA", lambda r: json.dumps(r.get("private_metadata") or {})),
]


def register(commands: Any) -> None:
    _instances(commands)
    _api_keys(commands)
    _users(commands)


# -- instances ------------------------------------------------------------------------------


def _instances(commands: Any) -> None:
    group = add_group(
        commands,
        "instances",
        "create and list instances (tenants)",
        "Instances are separate tenants: each has its own users, tokens and secret keys. "
        "The first one is the default. Managed on the database (--database-url) only.",
    )
    create = add_command(group, "create", _create_instance, help="create an instance")
    create.add_argument("name", help="a name for people, such as 'staging'")
    add_command(group, "list", _list_instances, help="list every instance, oldest first")


async def _create_instance(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    instance = await backend.create_instance(args.name)
    out.record(instance, INSTANCE_COLUMNS)
    if not out.as_json:
        out.note(f"next: `tessera api-keys create --instance {instance['id']}` to reach it.")
    return EXIT_OK


async def _list_instances(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    instances = sorted(await backend.list_instances(), key=lambda i: (i["created_at"], i["id"]))
    out.records(instances, INSTANCE_COLUMNS)
    return EXIT_OK


# -- api-keys -------------------------------------------------------------------------------


def _api_keys(commands: Any) -> None:
    group = add_group(
        commands,
        "api-keys",
        "create, list and revoke an instance's secret keys",
        "Secret keys (sk_test_…, sk_live_…) open an instance's Backend API. A new key is "
        "printed once; only its hash is stored, so afterwards only its prefix is shown. "
        "Managed on the database (--database-url) only.",
    )
    create = add_command(
        group,
        "create",
        _create_key,
        help="create a secret key and print it, once",
    )
    create.add_argument("--live", action="store_true", help="an sk_live_ key (default sk_test_)")
    add_command(group, "list", _list_keys, help="list the instance's keys (prefixes only)")
    revoke = add_command(
        group, "revoke", _revoke_key, help="revoke a key: it opens nothing from now on"
    )
    revoke.add_argument("key_id", metavar="KEY_ID", help="the key's id (ak_…), from `list`")


async def _create_key(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    key = await backend.create_key("live" if args.live else "test")
    if out.as_json:
        out.json(key)
    else:
        out.line(key["secret"])
        out.note(
            f"created key {key['id']}. This is the only time it is shown: store it now "
            "(only its hash is kept)."
        )
    return EXIT_OK


async def _list_keys(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.records(await backend.list_keys(), KEY_COLUMNS)
    return EXIT_OK


async def _revoke_key(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.record(await backend.revoke_key(args.key_id), KEY_COLUMNS)
    return EXIT_OK


# -- users ----------------------------------------------------------------------------------


def _users(commands: Any) -> None:
    group = add_group(
        commands,
        "users",
        "create, list, show, delete, ban and unban users",
        "The users of an instance: the people sign-in tokens sign in.",
    )
    create = add_command(group, "create", _create_user, help="create a user")
    create.add_argument(
        "--email",
        metavar="ADDRESS",
        action="append",
        default=[],
        help="an email address (repeat for more; the first is the primary one)",
    )
    create.add_argument("--external-id", metavar="ID", help="your own id for the user (unique)")
    create.add_argument("--username", metavar="NAME", help="a username (unique)")
    create.add_argument("--first-name", metavar="NAME", help="the user's first name")
    create.add_argument("--last-name", metavar="NAME", help="the user's last name")
    create.add_argument("--public-metadata", metavar="JSON", help="a JSON object")
    create.add_argument("--private-metadata", metavar="JSON", help="a JSON object")

    listing = add_command(group, "list", _list_users, help="list users, newest first")
    listing.add_argument("--email", action="append", default=[], help="only this email address")
    listing.add_argument("--external-id", action="append", default=[], help="only this external id")
    add_paging(listing)

    for name, run, text in (
        ("get", _get_user, "show one user"),
        ("delete", _delete_user, "delete a user (their pending tokens are revoked)"),
        ("ban", _ban_user, "ban a user (their pending tokens are revoked)"),
        ("unban", _unban_user, "lift a user's ban"),
    ):
        parser = add_command(group, name, run, help=text)
        parser.add_argument("user_id", metavar="USER_ID", help="the user's id (user_…)")


def _metadata(option: str, text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise UsageError(f'{option} must be a JSON object, such as \'{{"plan": "pro"}}\'.')
    json_values.check(option.removeprefix("--").replace("-", "_"), value)  # as the server would
    return value


async def _create_user(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    fields: Json = {
        "external_id": args.external_id,
        "username": args.username,
        "first_name": args.first_name,
        "last_name": args.last_name,
        "public_metadata": _metadata("--public-metadata", args.public_metadata),
        "private_metadata": _metadata("--private-metadata", args.private_metadata),
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    out.record(await backend.create_user(args.email, fields), USER_DETAIL)
    return EXIT_OK


async def _list_users(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    found = await backend.list_users(
        email=args.email, external_id=args.external_id, limit=args.limit, offset=args.offset
    )
    out.records(found, USER_COLUMNS)
    return EXIT_OK


async def _get_user(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.record(await backend.get_user(args.user_id), USER_DETAIL)
    return EXIT_OK


async def _delete_user(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    deleted = await backend.delete_user(args.user_id)
    if out.as_json:
        out.json(deleted)
    else:
        out.line(f"deleted user {deleted['id']}")
    return EXIT_OK


async def _ban_user(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.record(await backend.ban_user(args.user_id, banned=True), USER_COLUMNS)
    return EXIT_OK


async def _unban_user(backend: Backend, args: argparse.Namespace, out: Output) -> int:
    out.record(await backend.ban_user(args.user_id, banned=False), USER_COLUMNS)
    return EXIT_OK
