"""One interface over the two places a command can act: the database, or a running server.

:class:`Backend` answers every record as the JSON object the HTTP API would (Clerk's shapes,
built by ``api/shapes.py``), so the printing code never knows which mode it runs in.
:class:`DirectBackend` calls the domain functions on an open store; ``remote.ApiBackend`` calls
the server. :func:`open_backend` picks one from the command line and the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from tessera import keys, signing, tokens, users
from tessera.api import shapes
from tessera.cli.output import UsageError
from tessera.clock import system_clock, to_ms
from tessera.config import Settings
from tessera.models import ApiKey, Instance, SigningKey
from tessera.store import Store
from tessera.user_query import Selection, UserQuery

__all__ = ["Backend", "DirectBackend", "Json", "open_backend", "signing_key_shape"]

Json = dict[str, Any]


class Backend(Protocol):
    """What the record commands need, in either mode. Lists are one page, newest first."""

    async def list_instances(self) -> list[Json]: ...
    async def create_instance(self, name: str) -> Json: ...
    async def list_keys(self) -> list[Json]: ...
    async def create_key(self, environment: str) -> Json: ...
    async def revoke_key(self, key_id: str) -> Json: ...
    async def create_user(self, email_addresses: list[str], fields: Json) -> Json: ...
    async def list_users(
        self, *, email: list[str], external_id: list[str], limit: int, offset: int
    ) -> list[Json]: ...
    async def get_user(self, user_id: str) -> Json: ...
    async def delete_user(self, user_id: str) -> Json: ...
    async def ban_user(self, user_id: str, *, banned: bool) -> Json: ...
    async def create_token(
        self, user_id: str, *, expires_in_seconds: int | None, redirect_url: str | None
    ) -> Json: ...
    async def list_tokens(
        self, *, user_id: str | None, status: str | None, limit: int, offset: int
    ) -> Json: ...
    async def get_token(self, token_id: str) -> Json: ...
    async def revoke_token(self, token_id: str) -> Json: ...
    async def revoke_all_tokens(self, user_id: str) -> Json: ...
    async def rotate_signing_key(self, algorithm: str | None) -> Json: ...
    async def revoke_signing_key(
        self, key_id: str | None, *, algorithm: str | None = None
    ) -> Json: ...
    async def list_signing_keys(self) -> list[Json]: ...
    async def rewrap_signing_keys(self) -> Json: ...
    async def close(self) -> None: ...


def instance_shape(instance: Instance) -> Json:
    return {
        "object": "instance",
        "id": instance.id,
        "name": instance.name,
        "created_at": to_ms(instance.created_at),
    }


def key_shape(key: ApiKey, secret: str | None = None) -> Json:
    """A secret key as shown: its display prefix only, unless it was just made."""
    body: Json = {"object": "api_key", "id": key.id, "instance_id": key.instance_id}
    body["prefix"] = key.prefix
    if secret is not None:
        body["secret"] = secret
    body["created_at"] = to_ms(key.created_at)
    body["revoked_at"] = None if key.revoked_at is None else to_ms(key.revoked_at)
    return body


def signing_key_shape(key: SigningKey, *, now: datetime) -> Json:
    """A signing key as shown: its public half and dates, never the private key."""
    published = key.status == "current" or (
        key.status == "retired" and key.publish_until is not None and key.publish_until > now
    )
    return {
        "object": "signing_key",
        "id": key.id,
        "instance_id": key.instance_id,
        "algorithm": key.algorithm,
        "status": key.status,
        "published": published,
        "public_jwk": key.public_jwk,
        "created_at": to_ms(key.created_at),
        "retired_at": None if key.retired_at is None else to_ms(key.retired_at),
        "publish_until": None if key.publish_until is None else to_ms(key.publish_until),
        "revoked_at": None if key.revoked_at is None else to_ms(key.revoked_at),
    }


class DirectBackend:
    """The domain functions on an open store, for one instance (``--instance`` or the first)."""

    def __init__(self, store: Store, settings: Settings, instance_id: str | None) -> None:
        self.store, self.settings = store, settings
        self._instance_id = instance_id
        self._warned = False

    async def instance(self) -> str:
        """The instance the command acts on; a usage error when there is none."""
        if self._instance_id is None:
            first = await self.store.instances.first()
            if first is None:
                raise UsageError(
                    "this database has no instance yet: run `tessera instances create NAME`."
                )
            self._instance_id = first.id
        elif await self.store.instances.get(self._instance_id) is None:
            raise UsageError(f"no instance {self._instance_id} in this database.")
        return self._instance_id

    async def list_instances(self) -> list[Json]:
        return [instance_shape(i) for i in await self.store.instances.all()]

    async def create_instance(self, name: str) -> Json:
        instance = await keys.create_instance(self.store, name, now=system_clock())
        return instance_shape(instance)

    async def list_keys(self) -> list[Json]:
        return [key_shape(k) for k in await keys.list_keys(self.store, await self.instance())]

    async def create_key(self, environment: str) -> Json:
        secret = keys.new_secret_key("live" if environment == "live" else "test")
        key, _ = await keys.create_key(
            self.store, await self.instance(), now=system_clock(), secret=secret
        )
        return key_shape(key, secret)

    async def revoke_key(self, key_id: str) -> Json:
        key = await keys.revoke_key(self.store, await self.instance(), key_id, now=system_clock())
        return key_shape(key)

    async def create_user(self, email_addresses: list[str], fields: Json) -> Json:
        user = await users.create(
            self.store,
            await self.instance(),
            email_addresses=email_addresses,
            now=system_clock(),
            **fields,
        )
        return shapes.user(user)

    async def list_users(
        self, *, email: list[str], external_id: list[str], limit: int, offset: int
    ) -> list[Json]:
        query = UserQuery(
            email_addresses=tuple(email),
            external_ids=Selection(include=tuple(external_id)),
            limit=limit,
            offset=offset,
        )
        found = await users.list_users(self.store, await self.instance(), query)
        return [shapes.user(u) for u in found]

    async def get_user(self, user_id: str) -> Json:
        return shapes.user(await users.get(self.store, await self.instance(), user_id))

    async def delete_user(self, user_id: str) -> Json:
        await users.delete(self.store, await self.instance(), user_id, now=system_clock())
        return shapes.deleted("user", user_id)

    async def ban_user(self, user_id: str, *, banned: bool) -> Json:
        instance_id = await self.instance()
        user = await users.ban(self.store, instance_id, user_id, banned=banned, now=system_clock())
        return shapes.user(user)

    async def create_token(
        self, user_id: str, *, expires_in_seconds: int | None, redirect_url: str | None
    ) -> Json:
        token, ticket = await tokens.create(
            self.store,
            await self.instance(),
            user_id,
            expires_in_seconds=expires_in_seconds,
            max_lifetime=self.settings.max_token_lifetime,
            now=system_clock(),
            redirect_url=redirect_url,
        )
        self._check_public_url()
        url = tokens.link(self.settings.public_url, ticket)
        return shapes.sign_in_token(token, ticket=ticket, url=url)

    def _check_public_url(self) -> None:
        """Links from a machine without TESSERA_PUBLIC_URL point at the default: say so once."""
        if not os.environ.get("TESSERA_PUBLIC_URL") and not self._warned:
            self._warned = True
            sys.stderr.write(
                f"tessera: note: TESSERA_PUBLIC_URL is not set, so links point at "
                f"{self.settings.public_url}: set it to the server's public address.\n"
            )

    async def list_tokens(
        self, *, user_id: str | None, status: str | None, limit: int, offset: int
    ) -> Json:
        found, total = await self.store.tokens.search(
            await self.instance(), user_id=user_id, status=status, limit=limit, offset=offset
        )
        return shapes.sign_in_token_page(found, total)

    async def get_token(self, token_id: str) -> Json:
        return shapes.sign_in_token(await tokens.get(self.store, await self.instance(), token_id))

    async def revoke_token(self, token_id: str) -> Json:
        instance_id = await self.instance()
        token = await tokens.revoke(self.store, instance_id, token_id, now=system_clock())
        return shapes.sign_in_token(token)

    async def revoke_all_tokens(self, user_id: str) -> Json:
        instance_id = await self.instance()
        count = await tokens.revoke_all_of_user(
            self.store, instance_id, user_id, now=system_clock()
        )
        return {"object": "sign_in_token_revocation", "user_id": user_id, "revoked_count": count}

    async def rotate_signing_key(self, algorithm: str | None) -> Json:
        if algorithm is not None and algorithm not in signing.ALGORITHMS:
            raise UsageError("--algorithm must be RS256 or EdDSA.")
        now = system_clock()
        key = await signing.rotate(self.store, await self.instance(), now=now, algorithm=algorithm)
        return signing_key_shape(key, now=now)

    async def revoke_signing_key(self, key_id: str | None, *, algorithm: str | None = None) -> Json:
        """Revoke ``key_id`` (None: the current key, after making a new one)."""
        if algorithm is not None and algorithm not in signing.ALGORITHMS:
            raise UsageError("--algorithm must be RS256 or EdDSA.")
        now, instance_id = system_clock(), await self.instance()
        if key_id is None:
            key_id = (await signing.current(self.store, instance_id, now=now)).id
        done = await signing.revoke(self.store, instance_id, key_id, now=now, algorithm=algorithm)
        return {
            "object": "signing_key_revocation",
            "revoked": signing_key_shape(done.key, now=now),
            "replacement": done.replacement and signing_key_shape(done.replacement, now=now),
            "sessions_revoked": done.sessions_revoked,
        }

    async def rewrap_signing_keys(self) -> Json:
        """Seal every private key of the database under TESSERA_ENCRYPTION_KEY."""
        if not self.store.keyring.encrypts:
            raise UsageError(
                "set TESSERA_ENCRYPTION_KEY to the key to seal under (and "
                "TESSERA_PREVIOUS_ENCRYPTION_KEY to the one they are sealed with, if any)."
            )
        count = await signing.rewrap(self.store)
        return {"object": "signing_key_rewrap", "rewrapped": count}

    async def list_signing_keys(self) -> list[Json]:
        now = system_clock()
        found = await self.store.signing_keys.all(await self.instance())
        return [signing_key_shape(k, now=now) for k in found]

    async def close(self) -> None:
        await self.store.close()


async def open_backend(args: argparse.Namespace) -> Backend:
    """The backend the command line asks for: ``--api-url`` (a server) or the database."""
    api_url = args.api_url or (None if args.database_url else os.environ.get("TESSERA_API_URL"))
    if api_url and args.database_url:
        raise UsageError("give --database-url or --api-url, not both.")
    if api_url:
        if args.instance:
            raise UsageError("--instance applies to --database-url; over the API the key decides.")
        from tessera.cli.remote import ApiBackend

        return ApiBackend.from_env(api_url)
    return await _open_direct(args)


async def _open_direct(args: argparse.Namespace) -> DirectBackend:
    from tessera.store import open_store

    settings = Settings.from_env()
    url = args.database_url or settings.database_url
    _refuse_missing_file(url)
    return DirectBackend(await open_store(url, keyring=settings.keyring), settings, args.instance)


def _refuse_missing_file(url: str) -> None:
    """A mistyped SQLite path must not quietly create an empty database."""
    from tessera.store.sqlite import path_from_url

    if url.lower().startswith("sqlite:"):
        path = path_from_url(url)
        if path != ":memory:" and not Path(path).exists():
            raise UsageError(
                f"no database at {path}: set TESSERA_DATABASE_URL (or --database-url), "
                "or create it with `tessera migrate`."
            )
