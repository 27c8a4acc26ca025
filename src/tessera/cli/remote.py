"""The API mode: every command as a request to a running Tessera, authorised by a secret key.

The server answers Clerk's JSON shapes, which is what :class:`~tessera.cli.backend.Backend`
returns, so the answers pass through unchanged. Instances and secret keys are not on the wire
API (a key must not mint keys or tenants), so those commands need ``--database-url``.
"""

from __future__ import annotations

import os
from typing import Any, NoReturn
from urllib.parse import quote

import httpx

from tessera.cli.backend import Json
from tessera.cli.output import CommandError, UsageError

__all__ = ["ApiBackend", "Unreachable", "api_base"]

_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class Unreachable(CommandError):
    """No answer from the server: the request may or may not have been carried out."""

    fatal = True


def api_base(url: str) -> str:
    """``https://auth.example.com`` or ``…/v1``: the API root, always ending in ``/v1``."""
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


class ApiBackend:
    """The Backend API of a running server (``--api-url``, key from TESSERA_SECRET_KEY)."""

    def __init__(self, base_url: str, secret_key: str) -> None:
        self.base_url = api_base(base_url)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {secret_key}", "User-Agent": "tessera-cli"},
            timeout=_TIMEOUT,
        )

    @classmethod
    def from_env(cls, base_url: str) -> ApiBackend:
        secret_key = os.environ.get("TESSERA_SECRET_KEY", "").strip()
        if not secret_key:
            raise UsageError("--api-url needs the instance's secret key in TESSERA_SECRET_KEY.")
        return cls(base_url, secret_key)

    async def _call(self, method: str, path: str, **options: Any) -> Any:
        try:
            response = await self._http.request(method, path, **options)
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach {self.base_url}: {_reason(exc)}") from None
        if response.status_code != 200:
            _raise_for(response)
        return response.json()

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
        result: Json = await self._call("POST", "/users", json=body)
        return result

    async def list_users(
        self, *, email: list[str], external_id: list[str], limit: int, offset: int
    ) -> list[Json]:
        query: list[tuple[str, str | int]] = [("limit", limit), ("offset", offset)]
        query += [("email_address", e) for e in email]
        query += [("external_id", x) for x in external_id]
        result: list[Json] = await self._call("GET", "/users", params=query)
        return result

    async def get_user(self, user_id: str) -> Json:
        result: Json = await self._call("GET", f"/users/{_segment(user_id)}")
        return result

    async def delete_user(self, user_id: str) -> Json:
        result: Json = await self._call("DELETE", f"/users/{_segment(user_id)}")
        return result

    async def ban_user(self, user_id: str, *, banned: bool) -> Json:
        action = "ban" if banned else "unban"
        result: Json = await self._call("POST", f"/users/{_segment(user_id)}/{action}")
        return result

    async def create_token(
        self, user_id: str, *, expires_in_seconds: int | None, redirect_url: str | None
    ) -> Json:
        body: Json = {"user_id": user_id, "expires_in_seconds": expires_in_seconds}
        if redirect_url is not None:
            body["redirect_url"] = redirect_url
        result: Json = await self._call("POST", "/sign_in_tokens", json=body)
        return result

    async def list_tokens(
        self, *, user_id: str | None, status: str | None, limit: int, offset: int
    ) -> Json:
        query: dict[str, str | int] = {"limit": limit, "offset": offset}
        if user_id is not None:
            query["user_id"] = user_id
        if status is not None:
            query["status"] = status
        result: Json = await self._call("GET", "/sign_in_tokens", params=query)
        return result

    async def get_token(self, token_id: str) -> Json:
        result: Json = await self._call("GET", f"/sign_in_tokens/{_segment(token_id)}")
        return result

    async def revoke_token(self, token_id: str) -> Json:
        result: Json = await self._call("POST", f"/sign_in_tokens/{_segment(token_id)}/revoke")
        return result

    async def revoke_all_tokens(self, user_id: str) -> Json:
        path = f"/users/{_segment(user_id)}/sign_in_tokens/revoke"
        result: Json = await self._call("POST", path)
        return result

    async def close(self) -> None:
        await self._http.aclose()


def _database_only(group: str) -> NoReturn:
    raise UsageError(
        f"`tessera {group}` works on the database only: use --database-url "
        "(the HTTP API manages users and sign-in tokens, not instances or keys)."
    )


def _segment(value: str) -> str:
    """An id as one path segment: a stray ``/`` or ``?`` cannot reach another route."""
    return quote(value, safe="")


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _raise_for(response: httpx.Response) -> NoReturn:
    """A Clerk error body as one line: its long message (what direct mode would say)."""
    try:
        error = response.json()["errors"][0]
        message, code = str(error.get("long_message") or error["message"]), str(error["code"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        message = f"the server answered {response.status_code} {response.reason_phrase}."
        code = f"http_{response.status_code}"
    raise CommandError(message, code=code)
