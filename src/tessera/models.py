"""The records Tessera keeps, as frozen values. Times are aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["ApiKey", "EmailAddress", "Instance", "SignInToken", "TokenStatus", "User"]

TokenStatus = Literal["pending", "accepted", "revoked"]


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
