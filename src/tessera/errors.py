"""Every error Tessera raises on purpose, each with a stable Clerk ``code``.

    TesseraError
    ├── RequestInvalid                  the request itself is wrong
    │   ├── BodyInvalid                 not JSON, or not a JSON object
    │   ├── BodyTooLarge                over the body limit
    │   ├── UnsupportedContentType      a body that is not JSON
    │   ├── ParamMissing                a required parameter is absent
    │   ├── ParamInvalid                a parameter of the wrong type or out of range
    │   ├── ParamFormatInvalid          a parameter in the wrong format (an email address)
    │   ├── ParamTooLarge               a parameter over its size limit (metadata, addresses)
    │   └── IdentifierExists            an email, username or external id already taken
    ├── Unauthenticated
    │   ├── AuthorizationHeaderInvalid  no ``Authorization: Bearer sk_…`` header
    │   └── SecretKeyInvalid            a key that is unknown, revoked or malformed
    ├── NotFound                        no such record in the caller's instance
    ├── RouteNotFound / MethodNotAllowed
    ├── SignInTokenNotRevocable         revoke of a token that is not pending
    ├── Conflict
    │   ├── IdempotencyKeyReused        an Idempotency-Key sent again with another request
    │   └── IdempotencyRequestInProgress the first request with that key has not finished
    ├── SessionNotRevocable             revoke of a session that is not active
    ├── TicketUnusable                  a ticket that signs nobody in (one class per reason)
    │   ├── TicketInvalid               malformed, unknown, or of another instance
    │   ├── TicketExpired               past its expires_at
    │   ├── SignInTokenRevoked          revoked before use
    │   ├── SignInTokenAlreadyUsed      redeemed already
    │   └── SignInTokenCannotBeUsed     its user is gone or banned
    ├── TooManyRequests                 over a rate limit; ``retry_after`` seconds
    ├── ServiceUnavailable              the database stayed locked past the busy timeout
    └── ConfigError                     a setting refused at start-up (never on the wire)

Each carries the data a caller needs (``param``, ``status``, …) and a ``message`` /
``long_message`` pair in Clerk's words. The HTTP layer (``api/errors.py``) maps classes to
statuses in one table; no message here ever contains a secret.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthorizationHeaderInvalid",
    "BodyInvalid",
    "BodyTooLarge",
    "ConfigError",
    "Conflict",
    "IdempotencyKeyReused",
    "IdempotencyRequestInProgress",
    "IdentifierExists",
    "MethodNotAllowed",
    "NotFound",
    "ParamFormatInvalid",
    "ParamInvalid",
    "ParamMissing",
    "ParamTooLarge",
    "RequestInvalid",
    "RouteNotFound",
    "SecretKeyInvalid",
    "ServiceUnavailable",
    "SessionNotRevocable",
    "SignInTokenAlreadyUsed",
    "SignInTokenCannotBeUsed",
    "SignInTokenNotRevocable",
    "SignInTokenRevoked",
    "TesseraError",
    "TicketExpired",
    "TicketInvalid",
    "TicketUnusable",
    "TooManyRequests",
    "Unauthenticated",
    "UnsupportedContentType",
]


class TesseraError(Exception):
    """Base of every deliberate error. ``code`` is stable; messages are for people."""

    code: ClassVar[str] = "internal_clerk_error"
    message: str = "something went wrong"
    retry_after: int | None = None  # seconds; sent as Retry-After when set

    def __init__(self, long_message: str, *, meta: dict[str, Any] | None = None) -> None:
        super().__init__(long_message)
        self.long_message = long_message
        self.meta = meta


class RequestInvalid(TesseraError):
    code = "request_invalid"
    message = "invalid request"


class BodyInvalid(RequestInvalid):
    code = "request_body_invalid"
    message = "Request body invalid"


class BodyTooLarge(RequestInvalid):
    code = "request_body_too_large"
    message = "Request body too large"


class UnsupportedContentType(RequestInvalid):
    code = "unsupported_content_type"
    message = "Unsupported content type"


class _ParamError(RequestInvalid):
    def __init__(self, param: str, long_message: str) -> None:
        super().__init__(long_message, meta={"param_name": param})
        self.param = param


class ParamMissing(_ParamError):
    code = "form_param_missing"
    message = "is missing"

    def __init__(self, param: str) -> None:
        super().__init__(param, f"{param} must be included.")


class ParamInvalid(_ParamError):
    code = "form_param_value_invalid"
    message = "is invalid"

    def __init__(self, param: str, reason: str | None = None) -> None:
        super().__init__(param, f"{param} is invalid" + (f": {reason}" if reason else "."))


class ParamFormatInvalid(_ParamError):
    code = "form_param_format_invalid"
    message = "is invalid"

    def __init__(self, param: str, reason: str) -> None:
        super().__init__(param, f"{param} must be {reason}.")


class ParamTooLarge(_ParamError):
    code = "form_param_exceeds_allowed_size"
    message = "exceeds the allowed size"

    def __init__(self, param: str, limit: str) -> None:
        super().__init__(param, f"The given {param} exceeds the maximum allowed size of {limit}.")


class IdentifierExists(_ParamError):
    code = "form_identifier_exists"
    message = "already exists"

    def __init__(self, param: str) -> None:
        super().__init__(param, f"That {param} is taken. Please try another.")


class Unauthenticated(TesseraError):
    code = "authentication_invalid"
    message = "Unauthenticated"


class AuthorizationHeaderInvalid(Unauthenticated):
    code = "authorization_header_format_invalid"
    message = "Invalid Authorization header format"

    def __init__(self) -> None:
        super().__init__('Invalid Authorization header format. Must be "Bearer <YOUR_API_KEY>"')


class SecretKeyInvalid(Unauthenticated):
    code = "clerk_key_invalid"
    message = (
        "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


class NotFound(TesseraError):
    code = "resource_not_found"
    message = "not found"

    def __init__(self, long_message: str = "Resource not found") -> None:
        super().__init__(long_message)


class RouteNotFound(NotFound):
    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"No route matches {method} {path}.")


class MethodNotAllowed(TesseraError):
    code = "method_not_allowed"
    message = "method not allowed"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"{method} is not allowed on {path}.")


class SignInTokenNotRevocable(TesseraError):
    code = "sign_in_token_cannot_be_revoked_code"
    message = "cannot revoke"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"Sign in token cannot be revoked because its status is {status}. "
            "Only pending tokens can be revoked."
        )
        self.status = status


class Conflict(TesseraError):
    """The request conflicts with one made before."""

    code = "conflict"
    message = "conflict"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "Idempotency-Key reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used in the last 24 hours for a different request. "
            "Send a new key with each new request, and the same key only with its retries.",
            meta={"header_name": "Idempotency-Key"},
        )


class IdempotencyRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    message = "request in progress"
    retry_after = 1

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed. "
            "Retry in a moment to get its response.",
            meta={"header_name": "Idempotency-Key"},
        )


class SessionNotRevocable(TesseraError):
    code = "session_cannot_be_revoked_code"
    message = "cannot revoke"

    def __init__(self, status: str) -> None:
        super().__init__(
            f"Session cannot be revoked because its status is {status}. "
            "Only active sessions can be revoked."
        )
        self.status = status


class TicketUnusable(TesseraError):
    """A ticket that signs nobody in. The wire names the reason (Clerk's codes); the sign-in
    page shows one generic wording for all of them. No message ever contains the ticket."""

    long_text: ClassVar[str] = "This ticket cannot be used."

    def __init__(self) -> None:
        super().__init__(self.long_text)


class TicketInvalid(TicketUnusable):
    code = "ticket_invalid_code"
    message = "is invalid"
    long_text = "This ticket is invalid. Check the link, or ask for a new one."


class TicketExpired(TicketUnusable):
    code = "ticket_expired_code"
    message = "is expired"
    long_text = "This ticket has expired and cannot be used anymore."


class SignInTokenRevoked(TicketUnusable):
    code = "sign_in_token_revoked_code"
    message = "is revoked"
    long_text = "This sign in token has been revoked and cannot be used anymore."


class SignInTokenAlreadyUsed(TicketUnusable):
    code = "sign_in_token_already_used_code"
    message = "is already used"
    long_text = "This sign in token has already been used. Each token can only be used once."


class SignInTokenCannotBeUsed(TicketUnusable):
    code = "sign_in_token_cannot_be_used_code"
    message = "cannot be used"
    long_text = "This sign in token cannot be used anymore. Please request a new one."


class TooManyRequests(TesseraError):
    code = "too_many_requests"
    message = "Too many requests"

    retry_after: int  # always set: sent as Retry-After

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests. Please retry in {retry_after} seconds.")
        self.retry_after = retry_after


class ServiceUnavailable(TesseraError):
    """Nothing was changed; the same request can be sent again after ``retry_after``."""

    code = "service_unavailable"
    message = "Service unavailable"
    retry_after = 1


class ConfigError(TesseraError):
    """A setting refused at start-up; the message says what to change."""

    code = "config_invalid"
    message = "invalid configuration"
