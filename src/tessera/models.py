"""The records Tessera keeps, as frozen values. Times are aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "ApiKey",
    "EmailAddress",
    "Instance",
    "InstanceSettings",
    "KeyStatus",
    "Session",
    "SessionStatus",
    "SignInToken",
    "SigningAlgorithm",
    "SigningKey",
    "TokenStatus",
    "User",
]

TokenStatus = Literal["pending", "accepted", "revoked"]
SessionStatus = Literal["active", "revoked", "ended", "expired"]
SigningAlgorithm = Literal["RS256", "EdDSA"]
KeyStatus = Literal["current", "retired", "revoked"]
DEFAULT_SESSION_LIFETIME = 7 * 86400  # Clerk's default maximum session lifetime


@dataclass(frozen=True)
class Instance:
    """A tenant: every other record belongs to exactly one instance."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ApiKey:
    """A secret key of an instance. Only its hash and a display prefix are kept."""

    id: str
    instance_id: str
    key_hash: str = field(repr=False)
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class EmailAddress:
    id: str
    email_address: str
    created_at: datetime


@dataclass(frozen=True)
class User:
    id: str
    instance_id: str
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)
    banned: bool = False
    last_sign_in_at: datetime | None = None
    email_addresses: tuple[EmailAddress, ...] = ()
    last_active_at: datetime | None = None  # the last session started

    @property
    def primary_email_address_id(self) -> str | None:
        return self.email_addresses[0].id if self.email_addresses else None


@dataclass(frozen=True)
class SignInToken:
    """A one-time sign-in token. The ticket itself is never kept, only ``token_hash``."""

    id: str
    instance_id: str
    user_id: str
    token_hash: str = field(repr=False)
    status: TokenStatus
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    redirect_url: str | None = None


@dataclass(frozen=True)
class InstanceSettings:
    """How an instance's links behave: where they lead, what a session lasts, how it is signed.

    ``allowed_redirect_urls`` entries are exact URLs, or prefixes ending in ``*``.
    """

    sign_in_url: str | None = None
    after_sign_in_url: str | None = None
    allowed_redirect_urls: tuple[str, ...] = ()
    session_lifetime: int = DEFAULT_SESSION_LIFETIME
    signing_algorithm: SigningAlgorithm = "RS256"


@dataclass(frozen=True)
class Session:
    """A signed-in user on one client. ``status`` is as stored, except that an active
    session past ``expire_at`` reads ``expired`` (see :meth:`status_at`)."""

    id: str
    instance_id: str
    user_id: str
    client_id: str
    status: SessionStatus
    last_active_at: datetime
    expire_at: datetime
    abandon_at: datetime
    created_at: datetime
    updated_at: datetime
    sign_in_token_id: str | None = None
    client_address: str | None = None
    user_agent: str | None = None
    signing_key_id: str | None = None  # the key that signed its token (None: before 0005)

    def status_at(self, now: datetime) -> SessionStatus:
        if self.status == "active" and self.expire_at <= now:
            return "expired"
        return self.status


@dataclass(frozen=True)
class SigningKey:
    """A key that signs session tokens. ``kid`` is its id; ``private_pem`` is empty once the
    key is retired (it then only verifies, through the published ``public_jwk``) or revoked
    (it then verifies nothing: it is no longer published)."""

    id: str
    instance_id: str
    algorithm: SigningAlgorithm
    status: KeyStatus
    public_jwk: dict[str, Any]
    private_pem: str = field(repr=False)
    created_at: datetime
    retired_at: datetime | None = None
    publish_until: datetime | None = None
    revoked_at: datetime | None = None
