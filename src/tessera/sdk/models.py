"""Typed requests and responses: small frozen dataclasses, no dependency beyond the stdlib.

Responses are read with :meth:`Model.from_json`: unknown keys are ignored (the server may add
fields), integer timestamps in milliseconds become aware UTC datetimes, nested objects become
their models. Requests carry the spec's defaults; a field left :data:`UNSET` is not sent.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, Self, Union

__all__ = [
    "DEFAULT_EXPIRES_IN_SECONDS",
    "UNSET",
    "CreateSignInTokenRequest",
    "CreateUserRequest",
    "DeletedObject",
    "EmailAddress",
    "Model",
    "RequestModel",
    "SignInToken",
    "SignInTokenList",
    "SignInTokenRevocation",
    "Unset",
    "UpdateUserRequest",
    "User",
]

DEFAULT_EXPIRES_IN_SECONDS: Final = 2_592_000  # 30 days, the spec's default


class Unset:
    """The type of :data:`UNSET`: "leave this field out of the request" (unlike ``None``,
    which sends ``null``, e.g. to clear a name on update)."""

    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = Unset()


def _ms(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    return value


def _converter(hint: Any) -> typing.Callable[[Any], Any] | None:
    """How to turn the JSON value of a field typed ``hint`` into its Python value."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _converter(inner[0]) if len(inner) == 1 else None
    if hint is datetime:
        return _ms
    if isinstance(hint, type) and issubclass(hint, Model):
        return lambda v: hint.from_json(v) if isinstance(v, dict) else v
    if origin is list and args:
        item = _converter(args[0])
        if item is not None:
            return lambda v: [item(x) for x in v] if isinstance(v, list) else v
    return None


_Plan = tuple[tuple[str, typing.Callable[[Any], Any] | None], ...]
_plans: dict[type[Any], _Plan] = {}


def _plan(cls: type[Any]) -> _Plan:
    """Each field's name and converter, worked out once per class."""
    plan = _plans.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        plan = _plans[cls] = tuple(
            (f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls)
        )
    return plan


class Model:
    """A response object. Read one with :meth:`from_json`; :meth:`to_dict` gives it back."""

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """The model for a decoded JSON object; ValueError if it is not one or lacks a field."""
        if not isinstance(data, dict):
            raise ValueError(
                f"expected a JSON object for {cls.__name__}, got {type(data).__name__}"
            )
        values = {}
        for name, convert in _plan(cls):
            if name in data:
                values[name] = (
                    data[name] if convert is None or data[name] is None else convert(data[name])
                )
        try:
            return cls(**values)
        except TypeError as exc:
            raise ValueError(f"{cls.__name__} is incomplete: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (datetimes stay datetimes)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]


class RequestModel:
    """A request body; fields left :data:`UNSET` are not sent."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object to send."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if getattr(self, f.name) is not UNSET
        }


# --- requests -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class CreateSignInTokenRequest(RequestModel):
    """Body of ``create_sign_in_token``: whose token, and how long it lives (default 30 days).

    ``redirect_url`` (a Tessera field, sent only when given) is where the link's Continue
    lands; it must be on the instance's allowed redirect URLs, or the create is refused (422).
    """

    user_id: str
    expires_in_seconds: int | None = DEFAULT_EXPIRES_IN_SECONDS
    redirect_url: str | Unset = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class CreateUserRequest(RequestModel):
    """Body of ``create_user``; every field is optional."""

    email_address: list[str] | Unset = UNSET
    external_id: str | Unset | None = UNSET
    username: str | Unset | None = UNSET
    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    public_metadata: dict[str, Any] | Unset = UNSET
    private_metadata: dict[str, Any] | Unset = UNSET


@dataclasses.dataclass(frozen=True, kw_only=True)
class UpdateUserRequest(RequestModel):
    """Body of ``update_user``: only the fields given change; ``None`` clears a string."""

    external_id: str | Unset | None = UNSET
    username: str | Unset | None = UNSET
    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    public_metadata: dict[str, Any] | Unset = UNSET
    private_metadata: dict[str, Any] | Unset = UNSET


# --- responses ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignInToken(Model):
    """A one-time sign-in token. ``token`` (the ticket) and ``url`` come only on create."""

    id: str
    status: str  # pending, accepted or revoked
    user_id: str
    created_at: datetime
    updated_at: datetime
    token: str | None = dataclasses.field(default=None, repr=False)
    url: str | None = dataclasses.field(default=None, repr=False)
    object: str = "sign_in_token"


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignInTokenList(Model):
    """A page of sign-in tokens, newest first, and how many match in all."""

    data: list[SignInToken]
    total_count: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class SignInTokenRevocation(Model):
    """The outcome of revoking every pending token of a user."""

    user_id: str
    revoked_count: int
    object: str = "sign_in_token_revocation"


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmailAddress(Model):
    """One email address of a user."""

    id: str
    email_address: str
    verification: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    object: str = "email_address"


@dataclasses.dataclass(frozen=True, kw_only=True)
class User(Model):
    """A user, with the fields Tessera models (Clerk sends more; they are ignored)."""

    id: str
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None
    primary_email_address_id: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    image_url: str | None = None
    has_image: bool = False
    public_metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    private_metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    unsafe_metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    email_addresses: list[EmailAddress] = dataclasses.field(default_factory=list)
    banned: bool = False
    locked: bool = False
    last_sign_in_at: datetime | None = None
    last_active_at: datetime | None = None
    object: str = "user"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DeletedObject(Model):
    """What a delete answers: the kind and id of the record, and ``deleted=True``."""

    id: str
    deleted: bool
    object: str
