"""The resources, ``sign_in_tokens``, ``users``, ``sessions`` and ``sign_ins``, shared by
both clients.

Each method is declared once, from its description in :mod:`tessera.sdk.calls`:
``operation(calls.get_user)`` is ``get_user`` on the resource and ``with_http_info(…)`` its
twin. On a :class:`~tessera.sdk.Client` they return values; on an
:class:`~tessera.sdk.AsyncClient` they are coroutines with the same names and arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Generic, ParamSpec, TypeVar, overload

from tessera.sdk import calls
from tessera.sdk.protocol import Call, HttpInfo
from tessera.sdk.transport import AsyncTransport, SyncTransport

__all__ = [
    "Resource",
    "Sessions",
    "SignInTokens",
    "SignIns",
    "Users",
    "operation",
    "with_http_info",
]

P = ParamSpec("P")
T = TypeVar("T")
Tr = TypeVar("Tr", SyncTransport, AsyncTransport)


class Resource(Generic[Tr]):
    """A group of methods over one transport (blocking or asyncio)."""

    def __init__(self, transport: Tr) -> None:
        self._transport: Tr = transport


class operation(Generic[P, T]):
    """A method made from a call description: answers the call's data."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> operation[P, T]: ...
    @overload
    def __get__(self, obj: Resource[SyncTransport], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, obj: Resource[AsyncTransport], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return obj._transport.method(self.build)


class with_http_info(Generic[P, T]):
    """The ``_with_http_info`` twin: answers ``(data, status_code, headers)``."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        self.build = build
        self.__doc__ = f"{build.__doc__}\n\nReturns ``(data, status_code, headers)``."

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> with_http_info[P, T]: ...
    @overload
    def __get__(
        self, obj: Resource[SyncTransport], owner: type[Any]
    ) -> Callable[P, HttpInfo[T]]: ...
    @overload
    def __get__(
        self, obj: Resource[AsyncTransport], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, HttpInfo[T]]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return obj._transport.method_with_http_info(self.build)


class SignInTokens(Resource[Tr]):
    """``/sign_in_tokens``: Clerk's create and revoke, and Tessera's get, list, revoke-all."""

    create_sign_in_token = operation(calls.create_sign_in_token)
    create_sign_in_token_with_http_info = with_http_info(calls.create_sign_in_token)
    revoke_sign_in_token = operation(calls.revoke_sign_in_token)
    revoke_sign_in_token_with_http_info = with_http_info(calls.revoke_sign_in_token)
    get_sign_in_token = operation(calls.get_sign_in_token)
    get_sign_in_token_with_http_info = with_http_info(calls.get_sign_in_token)
    get_sign_in_token_list = operation(calls.get_sign_in_token_list)
    get_sign_in_token_list_with_http_info = with_http_info(calls.get_sign_in_token_list)
    revoke_user_sign_in_tokens = operation(calls.revoke_user_sign_in_tokens)
    revoke_user_sign_in_tokens_with_http_info = with_http_info(calls.revoke_user_sign_in_tokens)


class Users(Resource[Tr]):
    """``/users``: create, get, list, update, delete, ban and unban."""

    create_user = operation(calls.create_user)
    create_user_with_http_info = with_http_info(calls.create_user)
    get_user = operation(calls.get_user)
    get_user_with_http_info = with_http_info(calls.get_user)
    get_user_list = operation(calls.get_user_list)
    get_user_list_with_http_info = with_http_info(calls.get_user_list)
    update_user = operation(calls.update_user)
    update_user_with_http_info = with_http_info(calls.update_user)
    delete_user = operation(calls.delete_user)
    delete_user_with_http_info = with_http_info(calls.delete_user)
    ban_user = operation(calls.ban_user)
    ban_user_with_http_info = with_http_info(calls.ban_user)
    unban_user = operation(calls.unban_user)
    unban_user_with_http_info = with_http_info(calls.unban_user)


class Sessions(Resource[Tr]):
    """``/sessions``: list, get and revoke the sessions that redeemed tickets started."""

    get_session_list = operation(calls.get_session_list)
    get_session_list_with_http_info = with_http_info(calls.get_session_list)
    get_session = operation(calls.get_session)
    get_session_with_http_info = with_http_info(calls.get_session)
    revoke_session = operation(calls.revoke_session)
    revoke_session_with_http_info = with_http_info(calls.revoke_session)


class SignIns(Resource[Tr]):
    """``/client/sign_ins``: the one Frontend API call, redeeming a ticket into a session.

    It is a resource of its own, not a ``sessions`` method, because it is not the Backend
    API: it needs no secret key (the ticket is the credential, and the key is not sent) and
    Clerk's Backend SDKs have no such call. It is still a resource, so that it has its twin,
    the transport, the error classes and the retry rules of every other method.
    """

    sign_in_with_ticket = operation(calls.sign_in_with_ticket)
    sign_in_with_ticket_with_http_info = with_http_info(calls.sign_in_with_ticket)
