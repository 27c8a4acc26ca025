"""Records as Clerk's JSON objects: exactly the keys the official SDKs expect.

Timestamps are Unix milliseconds. What Tessera does not model is null, false or an empty list,
so that a strict client model (the official Python SDK's) accepts every object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tessera.clock import to_ms
from tessera.models import EmailAddress, Session, SignInToken, User

__all__ = ["deleted", "session", "sign_in_token", "sign_in_token_page", "user"]


def sign_in_token(
    token: SignInToken, *, ticket: str | None = None, url: str | None = None
) -> dict[str, Any]:
    """A SignInToken; ``token`` and ``url`` only when the ticket is known (on create)."""
    body: dict[str, Any] = {
        "object": "sign_in_token",
        "id": token.id,
        "status": token.status,
        "user_id": token.user_id,
    }
    if ticket is not None:
        body["token"] = ticket
        body["url"] = url
    body["created_at"] = to_ms(token.created_at)
    body["updated_at"] = to_ms(token.updated_at)
    return body


def sign_in_token_page(tokens: list[SignInToken], total: int) -> dict[str, Any]:
    return {"data": [sign_in_token(t) for t in tokens], "total_count": total}


def _email(email: EmailAddress) -> dict[str, Any]:
    ms = to_ms(email.created_at)
    return {
        "id": email.id,
        "object": "email_address",
        "email_address": email.email_address,
        "reserved": False,
        "verification": {
            "object": "verification_admin",
            "status": "verified",
            "strategy": "admin",
            "attempts": None,
            "expire_at": None,
        },
        "linked_to": [],
        "created_at": ms,
        "updated_at": ms,
    }


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "object": "user",
        "external_id": u.external_id,
        "primary_email_address_id": u.primary_email_address_id,
        "primary_phone_number_id": None,
        "primary_web3_wallet_id": None,
        "username": u.username,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "image_url": "",
        "has_image": False,
        "public_metadata": u.public_metadata,
        "private_metadata": u.private_metadata,
        "unsafe_metadata": {},
        "email_addresses": [_email(e) for e in u.email_addresses],
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "password_enabled": False,
        "two_factor_enabled": False,
        "totp_enabled": False,
        "backup_code_enabled": False,
        "mfa_enabled_at": None,
        "mfa_disabled_at": None,
        "external_accounts": [],
        "saml_accounts": [],
        "enterprise_accounts": [],
        "last_sign_in_at": None if u.last_sign_in_at is None else to_ms(u.last_sign_in_at),
        "banned": u.banned,
        "locked": False,
        "lockout_expires_in_seconds": None,
        "verification_attempts_remaining": None,
        "updated_at": to_ms(u.updated_at),
        "created_at": to_ms(u.created_at),
        "delete_self_enabled": False,
        "create_organization_enabled": False,
        "last_active_at": None if u.last_active_at is None else to_ms(u.last_active_at),
        "legal_accepted_at": None,
    }


def deleted(object_name: str, object_id: str) -> dict[str, Any]:
    return {"object": object_name, "id": object_id, "deleted": True}


def _activity(s: Session) -> dict[str, Any] | None:
    """Where the session was started from, as the Backend API's SessionActivity (whose
    optional fields are strings, so unknown ones are left out rather than null)."""
    if s.client_address is None and s.user_agent is None:
        return None
    activity: dict[str, Any] = {
        "object": "session_activity",
        "id": "sess_activity_" + s.id.removeprefix("sess_"),
        "is_mobile": "Mobi" in (s.user_agent or ""),
    }
    if s.client_address is not None:
        activity["ip_address"] = s.client_address
    return activity


def session(s: Session, *, now: datetime) -> dict[str, Any]:
    """A Backend API Session; ``status`` as read at ``now`` (past expiry reads expired)."""
    body: dict[str, Any] = {
        "object": "session",
        "id": s.id,
        "user_id": s.user_id,
        "client_id": s.client_id,
        "status": s.status_at(now),
        "last_active_at": to_ms(s.last_active_at),
        "expire_at": to_ms(s.expire_at),
        "abandon_at": to_ms(s.abandon_at),
        "updated_at": to_ms(s.updated_at),
        "created_at": to_ms(s.created_at),
        "actor": None,
        "last_active_organization_id": None,
        "latest_activity": _activity(s),
        "tasks": None,
    }
    if body["latest_activity"] is None:
        del body["latest_activity"]  # not nullable in Clerk's schema
    return body
