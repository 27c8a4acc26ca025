"""Typed sessions and ticket sign-ins, read like every other model (see :mod:`.models`).

Two families, because the server speaks two APIs:

- the Backend API's :class:`Session` (``/sessions``: list, get, revoke), read with a key;
- the Frontend API's answer to a ticket sign-in, :class:`SignInResult`: ``response`` (the
  complete :class:`SignInAttempt`) and ``client`` (a :class:`SignInClient` holding the new
  :class:`ClientSession` and its :class:`SessionToken`, where Clerk puts it).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from tessera.sdk.models import Model

__all__ = [
    "ClientSession",
    "Session",
    "SessionActivity",
    "SessionToken",
    "SignInAttempt",
    "SignInClient",
    "SignInResult",
]


# --- the Backend API ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionActivity(Model):
    """Where a session was started from (the fields the server knows; others stay None)."""

    id: str
    is_mobile: bool = False
    ip_address: str | None = None
    browser_name: str | None = None
    browser_version: str | None = None
    device_type: str | None = None
    city: str | None = None
    country: str | None = None
    object: str = "session_activity"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Session(Model):
    """A user signed in on one client. ``status`` is active, revoked, ended or expired (an
    active session past ``expire_at`` reads expired)."""

    id: str
    user_id: str
    client_id: str
    status: str
    last_active_at: datetime
    expire_at: datetime
    abandon_at: datetime
    created_at: datetime
    updated_at: datetime
    latest_activity: SessionActivity | None = None
    actor: dict[str, Any] | None = None
    last_active_organization_id: str | None = None
    object: str = "session"


# --- the Frontend API's ticket sign-in ------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionToken(Model):
    """A session token: ``jwt``, signed by the instance's key, verifiable with its JWKS.
    It is a credential, so it stays out of ``repr``."""

    jwt: str = dataclasses.field(repr=False)
    object: str = "token"


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClientSession(Model):
    """A session as the Frontend API shows it: with its token (``last_active_token``) and
    the user's public data (``public_user_data["user_id"]``, ``["identifier"]``, …)."""

    id: str
    status: str
    expire_at: datetime
    abandon_at: datetime
    last_active_at: datetime
    last_active_token: SessionToken | None = None
    public_user_data: dict[str, Any] = dataclasses.field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    object: str = "session"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignInClient(Model):
    """The Frontend API client a sign-in happened on, and its sessions."""

    id: str
    sessions: list[ClientSession] = dataclasses.field(default_factory=list)
    last_active_session_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    object: str = "client"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignInAttempt(Model):
    """A sign-in attempt; a redeemed ticket makes it ``complete`` with a
    ``created_session_id``."""

    id: str
    status: str
    created_session_id: str | None = None
    identifier: str | None = None
    abandon_at: datetime | None = None
    object: str = "sign_in_attempt"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignInResult(Model):
    """What a ticket sign-in answers, in Clerk's shape: ``response`` (the sign-in) and
    ``client`` (holding the new session). :attr:`session_id` and :attr:`session_token` are
    the two things an app usually wants from it."""

    response: SignInAttempt
    client: SignInClient

    @property
    def session_id(self) -> str | None:
        """The id (``sess_…``) of the session the sign-in created."""
        return self.response.created_session_id

    @property
    def session(self) -> ClientSession | None:
        """The created session, as listed in ``client.sessions``."""
        return next((s for s in self.client.sessions if s.id == self.session_id), None)

    @property
    def session_token(self) -> str | None:
        """The created session's token (a JWT): ``client.sessions[i].last_active_token.jwt``."""
        session = self.session
        token = session.last_active_token if session is not None else None
        return token.jwt if token is not None else None
