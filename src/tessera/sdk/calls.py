"""Every API operation, described once as a function returning a :class:`Call`.

The resource classes turn each of these into a method (and its ``_with_http_info`` twin) of
both clients, so a signature and docstring written here is what a user calls and reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from tessera.sdk.models import (
    CreateSignInTokenRequest,
    CreateUserRequest,
    DeletedObject,
    RequestModel,
    SignInToken,
    SignInTokenList,
    SignInTokenRevocation,
    UpdateUserRequest,
    User,
)
from tessera.sdk.protocol import Call
from tessera.sdk.session_models import Session, SignInResult

__all__ = [
    "ban_user",
    "create_sign_in_token",
    "create_user",
    "delete_user",
    "get_session",
    "get_session_list",
    "get_sign_in_token",
    "get_sign_in_token_list",
    "get_user",
    "get_user_list",
    "revoke_session",
    "revoke_sign_in_token",
    "revoke_user_sign_in_tokens",
    "sign_in_with_ticket",
    "unban_user",
    "update_user",
]


def _id(value: str) -> str:
    """An id as one path segment, whatever it holds."""
    return quote(value, safe="")


def _body(request: RequestModel | Mapping[str, Any]) -> dict[str, Any]:
    return request.to_json() if isinstance(request, RequestModel) else dict(request)


def _page(limit: int | None, offset: int | None) -> list[tuple[str, str | int]]:
    return [(n, v) for n, v in (("limit", limit), ("offset", offset)) if v is not None]


def _users(data: Any) -> list[User]:
    if not isinstance(data, list):
        raise ValueError("expected a JSON array of users")
    return [User.from_json(item) for item in data]


def _sessions(data: Any) -> list[Session]:
    if not isinstance(data, list):
        raise ValueError("expected a JSON array of sessions")
    return [Session.from_json(item) for item in data]


# --- sign-in tokens -------------------------------------------------------------------------


def create_sign_in_token(
    create_sign_in_token_request: CreateSignInTokenRequest | Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
) -> Call[SignInToken]:
    """Create a sign-in token for a user. Only this answer holds ``token`` (the ticket) and
    ``url`` (the sign-in link). Retried safely: the same Idempotency-Key (a random one unless
    ``idempotency_key`` is given) goes with every attempt, so at most one token is made."""
    body = _body(create_sign_in_token_request)
    return Call(
        "POST", "sign_in_tokens", SignInToken.from_json, body=body, creates=True,
        idempotency_key=idempotency_key,
    )  # fmt: skip


def revoke_sign_in_token(sign_in_token_id: str) -> Call[SignInToken]:
    """Revoke a pending sign-in token; BadRequestError if it is not pending any more."""
    path = f"sign_in_tokens/{_id(sign_in_token_id)}/revoke"
    return Call("POST", path, SignInToken.from_json)


def get_sign_in_token(sign_in_token_id: str) -> Call[SignInToken]:
    """A sign-in token by id (without its ticket, which is never shown again)."""
    return Call("GET", f"sign_in_tokens/{_id(sign_in_token_id)}", SignInToken.from_json)


def get_sign_in_token_list(
    *,
    user_id: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Call[SignInTokenList]:
    """A page of sign-in tokens, newest first, optionally of one user and in one status
    (pending, accepted or revoked), with the total count."""
    query = [(n, v) for n, v in (("user_id", user_id), ("status", status)) if v is not None]
    return Call(
        "GET", "sign_in_tokens", SignInTokenList.from_json, query=query + _page(limit, offset)
    )


def revoke_user_sign_in_tokens(user_id: str) -> Call[SignInTokenRevocation]:
    """Revoke every pending sign-in token of a user; how many were revoked."""
    path = f"users/{_id(user_id)}/sign_in_tokens/revoke"
    return Call("POST", path, SignInTokenRevocation.from_json)


# --- users ----------------------------------------------------------------------------------


def create_user(
    create_user_request: CreateUserRequest | Mapping[str, Any],
    *,
    idempotency_key: str | None = None,
) -> Call[User]:
    """Create a user. Retried safely, with one Idempotency-Key for every attempt."""
    body = _body(create_user_request)
    return Call(
        "POST", "users", User.from_json, body=body, creates=True, idempotency_key=idempotency_key
    )


def get_user(user_id: str) -> Call[User]:
    """A user by id."""
    return Call("GET", f"users/{_id(user_id)}", User.from_json)


def get_user_list(
    *,
    email_address: Sequence[str] = (),
    external_id: Sequence[str] = (),
    limit: int | None = None,
    offset: int | None = None,
) -> Call[list[User]]:
    """A page of users, newest first, optionally those with any of the given email
    addresses or external ids."""
    query: list[tuple[str, str | int]] = [("email_address", e) for e in email_address]
    query += [("external_id", e) for e in external_id]
    return Call("GET", "users", _users, query=query + _page(limit, offset))


def update_user(
    user_id: str, update_user_request: UpdateUserRequest | Mapping[str, Any]
) -> Call[User]:
    """Change the fields given in ``update_user_request``; the user as it is now."""
    return Call("PATCH", f"users/{_id(user_id)}", User.from_json, body=_body(update_user_request))


def delete_user(user_id: str) -> Call[DeletedObject]:
    """Delete a user (their pending sign-in tokens are revoked with them)."""
    return Call("DELETE", f"users/{_id(user_id)}", DeletedObject.from_json)


def ban_user(user_id: str) -> Call[User]:
    """Ban a user: they cannot sign in, and their pending sign-in tokens are revoked."""
    return Call("POST", f"users/{_id(user_id)}/ban", User.from_json)


def unban_user(user_id: str) -> Call[User]:
    """Lift a user's ban."""
    return Call("POST", f"users/{_id(user_id)}/unban", User.from_json)


# --- sessions -------------------------------------------------------------------------------


def get_session_list(
    *,
    user_id: str | None = None,
    client_id: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Call[list[Session]]:
    """A page of sessions, newest first, optionally of one user or client and in one status
    (active, revoked, ended or expired)."""
    named = (("user_id", user_id), ("client_id", client_id), ("status", status))
    query: list[tuple[str, str | int]] = [(n, v) for n, v in named if v is not None]
    return Call("GET", "sessions", _sessions, query=query + _page(limit, offset))


def get_session(session_id: str) -> Call[Session]:
    """A session by id: how to learn at once that it was revoked (its token cannot say)."""
    return Call("GET", f"sessions/{_id(session_id)}", Session.from_json)


def revoke_session(session_id: str) -> Call[Session]:
    """Revoke an active session; BadRequestError (``session_cannot_be_revoked_code``) if it
    is not active any more."""
    return Call("POST", f"sessions/{_id(session_id)}/revoke", Session.from_json)


# --- sign-ins (the Frontend API) ------------------------------------------------------------


def sign_in_with_ticket(ticket: str) -> Call[SignInResult]:
    """Redeem a ticket (``tsit_…``, the ``__clerk_ticket`` of a link) into a new session:
    ``result.session_id`` and ``result.session_token`` (a JWT). The ticket is the credential,
    so the secret key is not sent. A refused ticket raises BadRequestError with Clerk's code
    (``sign_in_token_already_used_code``, ``ticket_expired_code``, …); too many failures from
    one address, RateLimitError. Not retried once sent: a redeemed ticket is spent."""
    body = {"strategy": "ticket", "ticket": ticket}
    return Call("POST", "client/sign_ins", SignInResult.from_json, body=body, sends_key=False)
