"""``tessera serve``, ``migrate`` and ``keygen``: running the server and preparing its store."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from tessera.cli.output import EXIT_OK, UsageError
from tessera.clock import system_clock
from tessera.config import Settings

if TYPE_CHECKING:
    from tessera.store import Store

__all__ = ["register"]

log = logging.getLogger("tessera.serve")


def register(commands: Any) -> None:
    """Add ``serve``, ``migrate`` and ``keygen`` to the ``tessera`` sub-commands."""
    serve = commands.add_parser(
        "serve",
        help="run the HTTP server",
        description="Run the HTTP server on the database named by TESSERA_DATABASE_URL. "
        "Signing keys are sealed under TESSERA_ENCRYPTION_KEY when it is set (without it, "
        "start-up warns once that they are stored unencrypted); a database whose keys do not "
        "open with it is refused in one sentence.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--read-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="close a connection whose request (headers and body) has not fully arrived this "
        "many seconds after its first byte (default 10)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="comma-separated proxy addresses (or *) whose X-Forwarded-For and "
        "X-Forwarded-Proto are trusted for the client address (rate limits, sessions); "
        "default: $FORWARDED_ALLOW_IPS, else 127.0.0.1",
    )
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser(
        "migrate",
        help="create or upgrade the database schema",
        description="Create or upgrade the schema of the database named by --database-url "
        "(default $TESSERA_DATABASE_URL), and create its default instance as `tessera serve` "
        "does (registering TESSERA_SECRET_KEY if set; no key is made or shown).",
    )
    migrate.add_argument(
        "--database-url",
        metavar="URL",
        default=argparse.SUPPRESS,  # the root parser's value stays when none is given here
        help="the database (sqlite:///path.db or postgresql://…)",
    )
    migrate.set_defaults(run=_migrate)

    keygen = commands.add_parser(
        "keygen",
        help="print a new secret key (for TESSERA_SECRET_KEY); stores nothing",
        description="Print a new secret key. Nothing is stored: `tessera serve` registers "
        "TESSERA_SECRET_KEY for the default instance on start. With --encryption-key, print a "
        "new TESSERA_ENCRYPTION_KEY instead: 32 random bytes in unpadded base64url, under "
        "which the signing keys' private halves are sealed (AES-256-GCM) in the database.",
    )
    keygen.add_argument("--live", action="store_true", help="an sk_live_ key (default sk_test_)")
    keygen.add_argument(
        "--encryption-key",
        action="store_true",
        help="a key for TESSERA_ENCRYPTION_KEY instead of a secret key",
    )
    keygen.set_defaults(run=_keygen)


def _logging(settings: Settings) -> None:
    from tessera.logs import Formatter

    handler = logging.StreamHandler()
    handler.setFormatter(Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler])


async def _prepare(settings: Settings) -> None:
    """Migrate the store and make sure the default instance can be reached."""
    from tessera import keys
    from tessera.store import open_store

    store = await open_store(settings.database_url, keyring=settings.keyring)
    try:
        await _check_signing_keys(store)
        shown = sys.stdout.isatty()
        new_key = await keys.bootstrap(
            store, settings.secret_key, now=system_clock(), make_key=shown
        )
        if new_key is not None:
            print(
                "\nThe default instance had no secret key. Here is one, shown once and stored "
                f"only as a hash:\n\n    {new_key}\n\nSend it as `Authorization: Bearer …`.\n",
                flush=True,
            )
        elif settings.secret_key is None and not shown:
            instance = await store.instances.first()
            if instance is not None and not await keys.has_live_key(store, instance.id):
                print(
                    "tessera: no secret key opens the default instance yet, and standard output "
                    "is not a terminal to show a new one on: set TESSERA_SECRET_KEY (see "
                    "`tessera keygen`).",
                    file=sys.stderr,
                )
    finally:
        await store.close()


async def _check_signing_keys(store: Store) -> None:
    """Refuse to start (Unsealable, one sentence) if a stored private key does not open;
    warn once if private keys are, or will be, stored in plaintext."""
    count = await store.signing_keys.check_readable()
    if not store.keyring.encrypts:
        log.warning(
            "signing keys are stored unencrypted in the database: set TESSERA_ENCRYPTION_KEY "
            "(make one with `tessera keygen --encryption-key`)"
        )
    elif count.plaintext:
        log.warning(
            "%d signing keys are stored unencrypted in the database: seal them with "
            "`tessera signing-keys rewrap`",
            count.plaintext,
        )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tessera.api.app import create_app
    from tessera.api.read_deadline import ReadDeadline

    settings = Settings.from_env(
        host=args.host, port=args.port, workers=args.workers, read_timeout=args.read_timeout
    )
    _logging(settings)
    asyncio.run(_prepare(settings))
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "log_level": settings.log_level,
        "access_log": False,  # tessera.access logs requests without their query strings
        "server_header": False,
        "http": functools.partial(ReadDeadline, settings.read_timeout),
        "ws": "none",
        "proxy_headers": True,
        "forwarded_allow_ips": args.forwarded_allow_ips,
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)
    else:
        os.environ["TESSERA_PUBLIC_URL"] = settings.public_url  # every worker builds the same links
        uvicorn.run(
            "tessera.api.app:app_from_env", factory=True, workers=settings.workers, **options
        )
    return EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    from tessera import keys
    from tessera.store import open_store

    settings = Settings.from_env()
    url = args.database_url or settings.database_url

    async def run() -> tuple[int, int]:
        store = await open_store(url)
        try:
            await keys.bootstrap(store, settings.secret_key, now=system_clock())
        finally:
            await store.close()
        return store.migrated

    found, reached = asyncio.run(run())
    where = _redacted(url)
    if found == 0:
        said = f"created the schema of {where} (version {reached}) and its default instance."
    elif found < reached:
        said = f"upgraded the schema of {where} from version {found} to {reached}."
    else:
        said = f"the schema of {where} is up to date (version {reached})."
    print(f"tessera: {said}")
    return EXIT_OK


def _redacted(url: str) -> str:
    """A database URL without its password."""
    head, sep, tail = url.rpartition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


def _keygen(args: argparse.Namespace) -> int:
    from tessera.keys import new_secret_key
    from tessera.sealed import new_key

    if args.encryption_key and args.live:
        raise UsageError("--live makes a secret key; --encryption-key an encryption key.")
    print(new_key() if args.encryption_key else new_secret_key("live" if args.live else "test"))
    return EXIT_OK
