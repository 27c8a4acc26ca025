"""The API mode: every command as a request to a running Tessera, through the Python SDK.

Each request is the SDK's own description of the call (``tessera.sdk.calls``), sent by its
asyncio transport with its retries, Idempotency-Keys and error classes; only the parsing is
left out, because the CLI prints the API's JSON objects as they come (the same objects direct
mode builds). Instances, secret keys and signing keys are not on the wire API (a secret key
must not mint keys or tenants, nor replace the keys that sign sessions), so those commands
need ``--database-url``.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, NoReturn

import httpx

from tessera.cli.backend import Json
from tessera.cli.output import CommandError, UsageError
from tessera.sdk import calls
from tessera.sdk.errors import ApiConnectionError, ApiError
from tessera.sdk.protocol import Call, Config, Retries
from tessera.sdk.transport import AsyncTransport

__all__ = ["ApiBackend", "Unreachable", "api_base"]

TIMEOUT = 30.0


class Unreachable(CommandError):
    """No answer from the server: the request may or may not have been carried out."""

    fatal = True


def api_base(url: str) -> str:
    """``https://auth.example.com`` or ``…/v1``: the API root, always ending in ``/v1``."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


def _as_is(data: Any) -> Any:
    return data


class ApiBackend:
    """The Backend API of a running server (``--api-url``, key from TESSERA_SECRET_KEY)."""

    def __init__(self, base_url: str, secret_key: str) -> None:
        self.base_url = api_base(base_url)
        try:
            config = Config.build(secret_key, self.base_url, TIMEOUT, Retries())
        except ValueError as exc:
            raise UsageError(f"TESSERA_SECRET_KEY: {exc}") from None
        self._http = httpx.AsyncClient()
        self._transport = AsyncTransport(self._http, config)

    @classmethod
    def from_env(cls, base_url: str) -> ApiBackend:
        secret_key = os.environ.get("TESSERA_SECRET_KEY", "").strip()
        if not secret_key:
            raise UsageError("--api-url needs the instance's secret key in TESSERA_SECRET_KEY.")
        return cls(base_url, secret_key)

    async def _send(self, call: Call[Any]) -> Any:
        """The JSON the server answered; its first error as one CommandError otherwise."""
        try:
            data, _, _ = await self._transport.request(dataclasses.replace(call, parse=_as_is))
        except ApiConnectionError as exc:
            raise Unreachable(f"cannot reach {self.base_url}: {exc.message}") from None
        except ApiError as exc:
            if exc.errors:
                raise CommandError(exc.errors[0].long_message, code=exc.errors[0].code) from None
            raise CommandError(exc.message, code=f"http_{exc.code}") from None
        return data

    async def list_instances(self) -> list[Json]:
        _database_only("instances")

    async def create_instance(self, name: str) -> Json:
        _database_only("instances")

    async def list_keys(self) -> list[Json]:
        _database_only("api-keys")

    async def create_key(self, environment: str) -> Json:
        _database_only("api-keys")

    async def revoke_key(self, key_id: str) -> Json:
        _database_only("api-keys")

    async def create_user(self, email_addresses: list[str], fields: Json) -> Json:
        body = {"email_address": email_addresses, **fields} if email_addresses else fields
        result: Json = await self._send(calls.create_user(body))
        return result

    async def list_users(
        self, *, email: list[str], external_id: list[str], limit: int, offset: int
    ) -> list[Json]:
        call = calls.get_user_list(
            email_address=email, external_id=external_id, limit=limit, offset=offset
        )
        result: list[Json] = await self._send(call)
        return result

    async def get_user(self, user_id: str) -> Json:
        result: Json = await self._send(calls.get_user(user_id))
        return result

    async def delete_user(self, user_id: str) -> Json:
        result: Json = await self._send(calls.delete_user(user_id))
        return result

    async def ban_user(self, user_id: str, *, banned: bool) -> Json:
        call = calls.ban_user(user_id) if banned else calls.unban_user(user_id)
        result: Json = await self._send(call)
        return result

    async def create_token(
        self, user_id: str, *, expires_in_seconds: int | None, redirect_url: str | None
    ) -> Json:
        body: Json = {"user_id": user_id, "expires_in_seconds": expires_in_seconds}
        if redirect_url is not None:
            body["redirect_url"] = redirect_url  # a Tessera field; the server checks it
        result: Json = await self._send(calls.create_sign_in_token(body))
        return result

    async def list_tokens(
        self, *, user_id: str | None, status: str | None, limit: int, offset: int
    ) -> Json:
        call = calls.get_sign_in_token_list(
            user_id=user_id, status=status, limit=limit, offset=offset
        )
        result: Json = await self._send(call)
        return result

    async def get_token(self, token_id: str) -> Json:
        result: Json = await self._send(calls.get_sign_in_token(token_id))
        return result

    async def revoke_token(self, token_id: str) -> Json:
        result: Json = await self._send(calls.revoke_sign_in_token(token_id))
        return result

    async def revoke_all_tokens(self, user_id: str) -> Json:
        result: Json = await self._send(calls.revoke_user_sign_in_tokens(user_id))
        return result

    async def rotate_signing_key(self, algorithm: str | None) -> Json:
        _database_only("signing-keys")

    async def revoke_signing_key(self, key_id: str | None, *, algorithm: str | None = None) -> Json:
        _database_only("signing-keys")

    async def list_signing_keys(self) -> list[Json]:
        _database_only("signing-keys")

    async def rewrap_signing_keys(self) -> Json:
        _database_only("signing-keys")

    async def close(self) -> None:
        await self._http.aclose()


def _database_only(group: str) -> NoReturn:
    raise UsageError(
        f"`tessera {group}` works on the database only: use --database-url "
        "(the HTTP API manages users, sign-in tokens and sessions, not instances or keys)."
    )
