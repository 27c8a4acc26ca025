"""The clients: :class:`Client` (blocking) and :class:`AsyncClient` (asyncio).

Both are built the same way and expose the same resources; only the transport differs.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx

from tessera.sdk.protocol import Config, Retries
from tessera.sdk.resources import Sessions, SignIns, SignInTokens, Users
from tessera.sdk.transport import AsyncTransport, SyncTransport

__all__ = ["DEFAULT_TIMEOUT", "AsyncClient", "Client"]

DEFAULT_TIMEOUT = 30.0
_DEFAULT_RETRIES = Retries()


class Client:
    """A blocking client for Tessera's (or Clerk's) Backend API.

    ``secret_key`` defaults to ``TESSERA_SECRET_KEY`` and must start with ``sk_``;
    ``base_url`` (ending in ``/v1``) to ``TESSERA_API_URL``, else ``http://127.0.0.1:8000/v1``.
    ``timeout`` is in seconds (or an ``httpx.Timeout``; ``None`` waits for ever);
    ``retries=None`` switches retrying off. Close it (or use ``with``) when done.
    """

    def __init__(
        self,
        secret_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retries: Retries | None = _DEFAULT_RETRIES,
    ) -> None:
        self.config = Config.build(secret_key, base_url, timeout, retries)
        self._http = httpx.Client()
        transport = SyncTransport(self._http, self.config)
        self.sign_in_tokens: SignInTokens[SyncTransport] = SignInTokens(transport)
        self.users: Users[SyncTransport] = Users(transport)
        self.sessions: Sessions[SyncTransport] = Sessions(transport)
        self.sign_ins: SignIns[SyncTransport] = SignIns(transport)

    def close(self) -> None:
        """Close the connections this client keeps open."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(base_url={str(self.config.base_url)!r})"


class AsyncClient:
    """The asyncio client: as :class:`Client`, with every method a coroutine.

    Close it with ``await client.aclose()`` (or use ``async with``).
    """

    def __init__(
        self,
        secret_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retries: Retries | None = _DEFAULT_RETRIES,
    ) -> None:
        self.config = Config.build(secret_key, base_url, timeout, retries)
        self._http = httpx.AsyncClient()
        transport = AsyncTransport(self._http, self.config)
        self.sign_in_tokens: SignInTokens[AsyncTransport] = SignInTokens(transport)
        self.users: Users[AsyncTransport] = Users(transport)
        self.sessions: Sessions[AsyncTransport] = Sessions(transport)
        self.sign_ins: SignIns[AsyncTransport] = SignIns(transport)

    async def aclose(self) -> None:
        """Close the connections this client keeps open."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={str(self.config.base_url)!r})"
