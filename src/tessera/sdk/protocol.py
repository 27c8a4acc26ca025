"""The I/O-free core both clients share: a call's description, and the exchange that turns it
into requests, waits and a result.

:func:`exchange` is a generator. It yields :class:`Send` (a request to send) and :class:`Sleep`
(a pause before retrying); the client drives it with its own I/O (``httpx.Client`` and
``time.sleep``, or ``httpx.AsyncClient`` and ``asyncio.sleep``) and sends back what happened.
All the rules (headers, the Idempotency-Key, which failures are retried and how long to wait,
how a response becomes a model or an :class:`~tessera.sdk.errors.ApiError`) live here once.
"""

from __future__ import annotations

import json
import logging
import os
import random
import uuid
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import httpx

from tessera.sdk.errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    error_from_response,
    parse_retry_after,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "Call",
    "Config",
    "Exchange",
    "HttpInfo",
    "Retries",
    "Send",
    "Sleep",
    "exchange",
]

T = TypeVar("T")
HttpInfo = tuple[T, int, httpx.Headers]
Outcome = httpx.Response | httpx.TransportError | None

DEFAULT_BASE_URL: Final = "http://127.0.0.1:8000/v1"
IN_PROGRESS: Final = "idempotency_request_in_progress"
log = logging.getLogger("tessera.sdk")

# Failures after which the request surely never reached the server: any call may be retried.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures after which it may have: only calls safe to repeat are retried.
_MAYBE_SENT = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API operation, described once: what to send and how to read the answer.

    ``creates`` marks a create: it carries an Idempotency-Key (the same on every retry), which
    makes it as safe to retry as a GET. ``sends_key=False`` marks a call that needs no secret
    key (a ticket sign-in, whose ticket is the credential): the key is then not sent at all.
    """

    method: str
    path: str  # relative to the base URL, e.g. "sign_in_tokens"
    parse: Callable[[Any], T]
    query: Sequence[tuple[str, str | int]] = ()
    body: Mapping[str, Any] | None = None
    creates: bool = False
    idempotency_key: str | None = None
    sends_key: bool = True

    @property
    def safe_to_retry(self) -> bool:
        return self.method in ("GET", "HEAD") or self.creates


@dataclass(frozen=True)
class Retries:
    """How failed calls are retried: at most ``max_retries`` times, waiting
    ``initial_delay * 2**n`` seconds (at most ``max_delay``, with jitter) or what the server's
    ``Retry-After`` asks, unless that is longer than ``max_retry_after``.
    ``Retries(max_retries=0)`` (or ``retries=None`` on a client) switches retrying off."""

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt + 1``: exponential, with "equal jitter"
        (half fixed, half random) so that many clients do not retry in step."""
        cap = min(self.max_delay, self.initial_delay * 2**attempt)
        return float(cap / 2 + random.uniform(0, cap / 2))


@dataclass(frozen=True)
class Config:
    """Everything a client needs to build requests. ``secret_key`` stays out of ``repr``."""

    secret_key: str = field(repr=False)
    base_url: httpx.URL
    timeout: httpx.Timeout
    retries: Retries

    @classmethod
    def build(
        cls,
        secret_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        retries: Retries | None,
    ) -> Config:
        """Defaults from ``TESSERA_SECRET_KEY`` / ``TESSERA_API_URL``; ValueError for a key
        that is not a secret key (the key itself is never repeated in the message)."""
        key = secret_key or os.environ.get("TESSERA_SECRET_KEY") or ""
        if not key:
            raise ValueError("No secret key: pass secret_key=… or set TESSERA_SECRET_KEY.")
        if not key.startswith("sk_"):
            raise ValueError(
                "secret_key must be a secret key, starting with sk_ (sk_test_… or sk_live_…); "
                "a publishable key (pk_…) or another token will not do."
            )
        url = base_url or os.environ.get("TESSERA_API_URL") or DEFAULT_BASE_URL
        return cls(
            secret_key=key,
            base_url=httpx.URL(url.rstrip("/") + "/"),
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            retries=retries if retries is not None else Retries(max_retries=0),
        )


@dataclass(frozen=True)
class Send:
    """Send ``request`` and hand back the response, or the httpx.TransportError raised."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before the next attempt."""

    seconds: float


Exchange = Generator[Send | Sleep, Outcome, HttpInfo[T]]


def build_request(call: Call[Any], config: Config) -> httpx.Request:
    from tessera import __version__

    headers = {"Accept": "application/json", "User-Agent": f"tessera-python/{__version__}"}
    if call.sends_key:
        headers["Authorization"] = f"Bearer {config.secret_key}"
    if call.creates:
        headers["Idempotency-Key"] = call.idempotency_key or str(uuid.uuid4())
    return httpx.Request(
        call.method,
        config.base_url.join(call.path),
        params=list(call.query) or None,
        json=call.body,
        headers=headers,
        extensions={"timeout": config.timeout.as_dict()},
    )


def exchange(call: Call[T], config: Config) -> Exchange[T]:
    """Send ``call`` (retrying as ``config.retries`` allows); its data, status and headers."""
    request = build_request(call, config)
    attempt = 0
    while True:
        outcome = yield Send(request)
        delay = retry_delay(call, config.retries, attempt, outcome)
        if delay is None:
            return read(call, request, outcome, config)
        attempt += 1
        log.info(
            "retrying %s %s in %.2f s (retry %d of %d) after %s",
            request.method,
            request.url.path,
            delay,
            attempt,
            config.retries.max_retries,
            _describe(outcome),
        )
        yield Sleep(delay)


def retry_delay(call: Call[Any], retries: Retries, attempt: int, outcome: Outcome) -> float | None:
    """How long to wait before retrying after ``outcome``, or None not to retry."""
    if attempt >= retries.max_retries or outcome is None:
        return None
    if isinstance(outcome, httpx.TransportError):
        retry = isinstance(outcome, _NOT_SENT) or (
            isinstance(outcome, _MAYBE_SENT) and call.safe_to_retry
        )
        return retries.backoff(attempt) if retry else None
    status = outcome.status_code
    retry = (
        status == 429  # refused before any work was done
        or (status >= 500 and call.safe_to_retry)
        or (status == 409 and call.creates and _error_code(outcome) == IN_PROGRESS)
    )
    if not retry:
        return None
    wait = parse_retry_after(outcome.headers.get("retry-after"))
    if wait is None:
        return retries.backoff(attempt)
    return wait if wait <= retries.max_retry_after else None


def read(call: Call[T], request: httpx.Request, outcome: Outcome, config: Config) -> HttpInfo[T]:
    """The data of a successful response; the right ApiError otherwise."""
    if isinstance(outcome, httpx.TransportError):
        raise _connection_error(request, outcome, config) from outcome
    assert outcome is not None
    if not outcome.is_success:
        raise error_from_response(outcome)
    try:
        data = call.parse(json.loads(outcome.text))
    except ValueError as exc:
        raise ApiError(
            f"The response to {request.method} {request.url.path} is not what the API "
            f"documents ({exc}): is base_url ({config.base_url}) a Tessera or Clerk API?",
            code=outcome.status_code,
            response_headers=outcome.headers,
            response_body=outcome.text,
        ) from None
    return data, outcome.status_code, outcome.headers


def _connection_error(
    request: httpx.Request, exc: httpx.TransportError, config: Config
) -> ApiConnectionError:
    where = f"{request.method} {request.url.copy_with(query=None)}"
    if isinstance(exc, httpx.TimeoutException):
        seconds = config.timeout.read
        return ApiTimeoutError(
            f"No response to {where} within the timeout ({seconds} s); the request may or may "
            "not have taken effect. Raise timeout= on the client if the server is just slow."
        )
    return ApiConnectionError(
        f"Could not get a response to {where}: {exc or type(exc).__name__}. "
        "Is the server running, and is base_url right?"
    )


def _error_code(response: httpx.Response) -> str | None:
    try:
        errors = json.loads(response.text).get("errors")
        return str(errors[0]["code"])
    except (ValueError, AttributeError, LookupError, TypeError):
        return None


def _describe(outcome: Outcome) -> str:
    if isinstance(outcome, httpx.Response):
        return f"HTTP {outcome.status_code}"
    return type(outcome).__name__
