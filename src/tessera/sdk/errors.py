"""What the SDK raises: one base class, :class:`ApiError`, subclassed by meaning.

    ApiError                      any failed call; ``code`` is the HTTP status (0: no response)
    ├── BadRequestError           400  the request cannot be done as asked
    ├── AuthenticationError       401  the secret key is missing, malformed or unknown
    ├── PermissionDeniedError     403  the key may not do this
    ├── NotFoundError             404  no such record (or route)
    ├── ConflictError             409  e.g. an Idempotency-Key reused for another request
    ├── UnprocessableEntityError  422  a parameter missing or invalid
    ├── RateLimitError            429  too many requests; ``retry_after`` seconds to wait
    ├── ServerError               5xx  the server failed
    └── ApiConnectionError        no response: refused, reset, DNS, TLS …
        └── ApiTimeoutError       no response in time

Every error keeps what came back: ``response_headers``, ``response_body`` (text), the parsed
Clerk ``errors`` and ``clerk_trace_id``. Other statuses raise :class:`ApiError` itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ErrorDetail",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UnprocessableEntityError",
    "error_from_response",
    "parse_retry_after",
]


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of a Clerk error body: a stable ``code`` and messages for people."""

    code: str
    message: str
    long_message: str
    meta: dict[str, Any] = field(default_factory=dict)


class ApiError(Exception):
    """A call that failed. ``code`` is the HTTP status, or 0 when no response came."""

    summary: ClassVar[str] = "The API answered with an error"

    def __init__(
        self,
        message: str,
        *,
        code: int = 0,
        response_headers: httpx.Headers | None = None,
        response_body: str | None = None,
        errors: list[ErrorDetail] | None = None,
        clerk_trace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.response_headers = (
            response_headers if response_headers is not None else httpx.Headers()
        )
        self.response_body = response_body
        self.errors = errors or []
        self.clerk_trace_id = clerk_trace_id


class BadRequestError(ApiError):
    """400: the request cannot be done as asked (e.g. revoking a token that is not pending)."""

    summary = "The request cannot be done as asked"


class AuthenticationError(ApiError):
    """401: the secret key is missing, malformed, unknown or revoked."""

    summary = "The secret key was refused"


class PermissionDeniedError(ApiError):
    """403: the secret key is valid but may not do this."""

    summary = "The secret key may not do this"


class NotFoundError(ApiError):
    """404: no such record in the key's instance."""

    summary = "Not found"


class ConflictError(ApiError):
    """409: the request conflicts with an earlier one (an Idempotency-Key reused)."""

    summary = "The request conflicts with an earlier one"


class UnprocessableEntityError(ApiError):
    """422: a parameter is missing or invalid; ``errors[0].meta["param_name"]`` names it."""

    summary = "A parameter is missing or invalid"


class RateLimitError(ApiError):
    """429: too many requests; ``retry_after`` is the wait the server asked for, in seconds."""

    summary = "Too many requests"

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.response_headers.get("retry-after"))


class ServerError(ApiError):
    """5xx: the server failed; the request may or may not have taken effect."""

    summary = "The server failed"


class ApiConnectionError(ApiError):
    """No response: the connection was refused, reset or could not be made."""

    summary = "Could not reach the API"


class ApiTimeoutError(ApiConnectionError):
    """No response within the configured timeout; the request may have taken effect."""

    summary = "The API did not answer in time"


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), else None."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _meta(error: dict[str, Any]) -> dict[str, Any]:
    meta = error.get("meta")
    return meta if isinstance(meta, dict) else {}


def _details(body: Any) -> tuple[list[ErrorDetail], str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return [], None
    details = [
        ErrorDetail(
            code=str(e.get("code", "")),
            message=str(e.get("message", "")),
            long_message=str(e.get("long_message", e.get("message", ""))),
            meta=_meta(e),
        )
        for e in body["errors"]
        if isinstance(e, dict)
    ]
    trace = body.get("clerk_trace_id")
    return details, trace if isinstance(trace, str) else None


def error_from_response(response: httpx.Response) -> ApiError:
    """The error for a non-success response, its class chosen by status."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    text = response.text
    try:
        details, trace = _details(json.loads(text))
    except ValueError:
        details, trace = [], None
    reason = details[0].long_message if details else (text.strip()[:200] or "no details given")
    method, url = response.request.method, response.request.url
    return cls(
        f"{cls.summary} ({status} on {method} {url.copy_with(query=None)}): {reason}",
        code=status,
        response_headers=response.headers,
        response_body=text,
        errors=details,
        clerk_trace_id=trace,
    )
