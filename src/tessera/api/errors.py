"""The one table from error class to HTTP status, and the Clerk error body.

Routes raise; nothing here is caught and translated route by route. Anything unexpected
becomes a 500 in the same shape, with no stack trace or exception text on the wire.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route

from tessera import errors
from tessera.logs import escape

__all__ = [
    "OTHER_METHODS",
    "STATUS",
    "error_response",
    "exception_handlers",
    "method_not_allowed",
    "status_of",
    "tessera_error",
    "unexpected_error",
]

log = logging.getLogger("tessera.api")

STATUS: dict[type[errors.TesseraError], int] = {
    errors.BodyInvalid: 400,
    errors.SignInTokenNotRevocable: 400,
    errors.SessionNotRevocable: 400,
    errors.TicketUnusable: 400,
    errors.Unauthenticated: 401,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.MethodNotAllowed: 405,
    errors.BodyTooLarge: 413,
    errors.UnsupportedContentType: 415,
    errors.TooManyRequests: 429,
    errors.ServiceUnavailable: 503,
    errors.RequestInvalid: 422,
    errors.TesseraError: 500,
}


def status_of(exc: errors.TesseraError) -> int:
    """The status of the nearest class in ``exc``'s MRO that the table names."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def body_of(exc: errors.TesseraError) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": exc.message,
        "long_message": exc.long_message,
        "code": exc.code,
    }
    if exc.meta is not None:
        error["meta"] = exc.meta
    return {"errors": [error]}


def error_response(exc: errors.TesseraError, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body_of(exc)),
        status_code=status_of(exc),
        media_type="application/json",
        headers=headers,
    )


async def tessera_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.TesseraError)
    log.debug("%s %s -> %s", request.method, request.url.path, exc.code)
    headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return error_response(exc, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 405:
        allow = {"Allow": _allowed_methods(request)}
        return error_response(errors.MethodNotAllowed(method, path), allow)
    if exc.status_code == 404:
        return error_response(errors.RouteNotFound(method, path))
    generic = errors.RequestInvalid("The request could not be processed.")
    return Response(
        orjson.dumps(body_of(generic)), status_code=exc.status_code, media_type="application/json"
    )


def _allowed_methods(request: Request) -> str:
    """Every method some route answers on this path. (The router's own 405 names only the
    methods of the first route whose path matched, and each method has a route of its own.)
    The most literal paths win: ``/v1/users/count`` is not ``/v1/users/{user_id}``."""
    matching = [
        route
        for route in request.app.routes
        if isinstance(route, Route)
        and route.endpoint is not method_not_allowed
        and route.matches(request.scope)[0] is not Match.NONE
    ]
    fewest = min((route.path_format.count("{") for route in matching), default=0)
    methods: set[str] = set()
    for route in matching:
        if route.path_format.count("{") == fewest:
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


OTHER_METHODS = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  # for method_not_allowed


async def method_not_allowed(request: Request) -> Response:
    """The endpoint of a literal path for the methods it does not answer, listed after its
    routes, so that another method is a 405 rather than a match of a parametrised path."""
    raise HTTPException(405)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client closed the connection, or was closed for sending too slowly, before its body
    arrived: an answer no one will read, and nothing to alarm anyone about."""
    log.info(
        "%s %s: the connection closed before the body arrived",
        request.method,
        escape(request.url.path),
    )
    return error_response(errors.BodyInvalid("The request body did not arrive whole."))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ClientDisconnect):  # the hot routes send every exception here
        return await client_gone(request, exc)
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(errors.TesseraError("Something went wrong on the server."))


exception_handlers = {
    errors.TesseraError: tessera_error,
    HTTPException: _http_error,
    ClientDisconnect: client_gone,
    Exception: unexpected_error,
}
