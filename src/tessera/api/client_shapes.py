"""Frontend API objects for a ticket sign-in: ``{"response": SignIn, "client": Client}``.

Clerk puts the new session's token at ``client.sessions[i].last_active_token.jwt``; so does
Tessera. Each redemption answers a new client holding just the session it started.
"""

from __future__ import annotations

from typing import Any

from tessera.clock import to_ms
from tessera.redemption import Redemption

__all__ = ["sign_in_response"]


def _user_data(r: Redemption) -> dict[str, Any]:
    return {
        "first_name": r.user.first_name,
        "last_name": r.user.last_name,
        "image_url": "",
        "has_image": False,
    }


def _identifier(r: Redemption) -> str:
    if r.user.email_addresses:
        return r.user.email_addresses[0].email_address
    return r.user.username or r.user.id


def sign_in(r: Redemption) -> dict[str, Any]:
    """A complete SignIn: the ticket verified the first factor."""
    return {
        "object": "sign_in_attempt",
        "id": "sia_" + r.session.id.removeprefix("sess_"),
        "status": "complete",
        "supported_identifiers": [],
        "supported_first_factors": [],
        "supported_second_factors": [],
        "first_factor_verification": {
            "object": "verification_ticket",
            "status": "verified",
            "strategy": "ticket",
            "attempts": None,
            "expire_at": None,
        },
        "second_factor_verification": None,
        "identifier": _identifier(r),
        "user_data": _user_data(r),
        "created_session_id": r.session.id,
        "abandon_at": to_ms(r.session.abandon_at),
    }


def session(r: Redemption) -> dict[str, Any]:
    s = r.session
    return {
        "object": "session",
        "id": s.id,
        "status": s.status,
        "expire_at": to_ms(s.expire_at),
        "abandon_at": to_ms(s.abandon_at),
        "last_active_at": to_ms(s.last_active_at),
        "last_active_token": {"object": "token", "jwt": r.session_token},
        "actor": None,
        "tasks": None,
        "last_active_organization_id": None,
        "public_user_data": {
            **_user_data(r),
            "identifier": _identifier(r),
            "user_id": r.user.id,
            "username": r.user.username,
        },
        "factor_verification_age": [0, -1],
        "created_at": to_ms(s.created_at),
        "updated_at": to_ms(s.updated_at),
    }


def client(r: Redemption) -> dict[str, Any]:
    s = r.session
    return {
        "object": "client",
        "id": s.client_id,
        "sessions": [session(r)],
        "sign_in": None,
        "sign_up": None,
        "last_active_session_id": s.id,
        "last_authentication_strategy": "ticket",
        "cookie_expires_at": None,
        "captcha_bypass": False,
        "created_at": to_ms(s.created_at),
        "updated_at": to_ms(s.updated_at),
    }


def sign_in_response(r: Redemption) -> dict[str, Any]:
    return {"response": sign_in(r), "client": client(r)}
