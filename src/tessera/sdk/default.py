"""The default client: set by :func:`configure`, used through :data:`SDK`.

``tessera.SDK.sign_in_tokens.create_sign_in_token(…)`` uses the client that the last
``configure`` call made, or, without one, a client built from ``TESSERA_SECRET_KEY`` and
``TESSERA_API_URL`` on first use.
"""

from __future__ import annotations

import threading

import httpx

from tessera.sdk.client import _DEFAULT_RETRIES, DEFAULT_TIMEOUT, Client
from tessera.sdk.protocol import Retries
from tessera.sdk.resources import Sessions, SignIns, SignInTokens, Users
from tessera.sdk.transport import SyncTransport

__all__ = ["SDK", "DefaultClient", "configure"]

_lock = threading.Lock()
_client: Client | None = None


def configure(
    secret_key: str | None = None,
    base_url: str | None = None,
    *,
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
    retries: Retries | None = _DEFAULT_RETRIES,
) -> Client:
    """Set the client behind :data:`SDK` (the previous one is closed) and return it.

    Arguments as for :class:`Client`: ``secret_key`` defaults to ``TESSERA_SECRET_KEY``,
    ``base_url`` to ``TESSERA_API_URL``; ValueError for a key that does not start with ``sk_``.
    """
    global _client
    client = Client(secret_key, base_url, timeout=timeout, retries=retries)
    with _lock:
        previous, _client = _client, client
    if previous is not None:
        previous.close()
    return client


def _current() -> Client:
    global _client
    with _lock:
        if _client is None:
            _client = Client()
        return _client


class DefaultClient:
    """The client :func:`configure` set, seen through ``tessera.SDK``."""

    @property
    def sign_in_tokens(self) -> SignInTokens[SyncTransport]:
        """Sign-in tokens: create, revoke, get, list, revoke all of a user."""
        return _current().sign_in_tokens

    @property
    def users(self) -> Users[SyncTransport]:
        """Users: create, get, list, update, delete, ban, unban."""
        return _current().users

    @property
    def sessions(self) -> Sessions[SyncTransport]:
        """Sessions: list, get, revoke."""
        return _current().sessions

    @property
    def sign_ins(self) -> SignIns[SyncTransport]:
        """Ticket sign-ins: redeem a ticket into a session (the key is not sent)."""
        return _current().sign_ins

    @property
    def client(self) -> Client:
        """The :class:`Client` itself."""
        return _current()

    def __repr__(self) -> str:
        return f"<tessera.SDK: {_client!r}>"


SDK = DefaultClient()
"""The default client, shaped like Clerk's ``Clerk::SDK``: ``tessera.SDK.users.get_user(…)``."""
