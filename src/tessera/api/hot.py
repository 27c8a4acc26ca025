"""The hottest routes, handed straight from the server to their endpoints.

At thousands of creates a second, Starlette's middleware stack and router cost about as much
as the work itself. ``POST /v1/sign_in_tokens`` and ``POST /v1/sign_in_tokens/{id}/revoke``
are dispatched here instead: the same endpoint functions, the same error handlers and the same
access log as every other route; only the layers in between are skipped. Anything else (another
method, a trailing slash, a nested path) is left to the router.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from tessera.api.context import Endpoint
from tessera.api.errors import tessera_error, unexpected_error
from tessera.errors import TesseraError

__all__ = ["HotRoutes"]

CREATE = "/v1/sign_in_tokens"
REVOKE = "/v1/sign_in_tokens/{sign_in_token_id}/revoke"
_REVOKE_HEAD, _REVOKE_TAIL = "/v1/sign_in_tokens/", "/revoke"


def _post_endpoint(routes: Sequence[BaseRoute], path: str) -> Endpoint:
    for route in routes:
        if isinstance(route, Route) and route.path == path and "POST" in (route.methods or ()):
            endpoint: Endpoint = route.endpoint
            return endpoint
    raise LookupError(f"no POST route for {path}")


class HotRoutes:
    """Picks the endpoint of a hot request and runs it as the router would."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self._create = _post_endpoint(routes, CREATE)
        self._revoke = _post_endpoint(routes, REVOKE)

    def endpoint(self, scope: Scope) -> Endpoint | None:
        """The endpoint for ``scope``, with its path parameters set; ``None``: not a hot route."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path: str = scope["path"]
        if path == CREATE:
            return self._create
        if path.startswith(_REVOKE_HEAD) and path.endswith(_REVOKE_TAIL):
            token_id = path[len(_REVOKE_HEAD) : -len(_REVOKE_TAIL)]
            if token_id and "/" not in token_id:
                scope["path_params"] = {"sign_in_token_id": token_id}
                return self._revoke
        return None

    @staticmethod
    async def run(endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer ``scope`` with ``endpoint`` (from :meth:`endpoint`), errors as the app does."""
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except TesseraError as exc:
            response = await tessera_error(request, exc)
        except Exception as exc:
            response = await unexpected_error(request, exc)
        await response(scope, receive, send)
