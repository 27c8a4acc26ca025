"""Tessera's Python SDK: call Tessera (or Clerk's Backend API) from Python.

Blocking :class:`Client` and asyncio :class:`AsyncClient` share one description of every
call; :func:`configure` sets the default client behind :data:`SDK`. Only ``httpx`` is needed:
nothing here imports the server.
"""

from tessera.sdk.client import AsyncClient, Client
from tessera.sdk.default import SDK, configure
from tessera.sdk.errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from tessera.sdk.models import (
    UNSET,
    CreateSignInTokenRequest,
    CreateUserRequest,
    DeletedObject,
    EmailAddress,
    SignInToken,
    SignInTokenList,
    SignInTokenRevocation,
    UpdateUserRequest,
    User,
)
from tessera.sdk.protocol import Retries
from tessera.sdk.session_models import (
    ClientSession,
    Session,
    SessionActivity,
    SessionToken,
    SignInAttempt,
    SignInClient,
    SignInResult,
)

__all__ = [
    "SDK",
    "UNSET",
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientSession",
    "ConflictError",
    "CreateSignInTokenRequest",
    "CreateUserRequest",
    "DeletedObject",
    "EmailAddress",
    "ErrorDetail",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "Retries",
    "ServerError",
    "Session",
    "SessionActivity",
    "SessionToken",
    "SignInAttempt",
    "SignInClient",
    "SignInResult",
    "SignInToken",
    "SignInTokenList",
    "SignInTokenRevocation",
    "UnprocessableEntityError",
    "UpdateUserRequest",
    "User",
    "configure",
]
