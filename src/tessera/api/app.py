"""The ASGI application: ``create_app(settings)`` wires the routes to one store and clock."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api import instance, openapi, sessions, sign_in_tokens, tickets, users
from tessera.api.context import Context, json_response
from tessera.api.errors import exception_handlers
from tessera.api.hot import HotRoutes
from tessera.clock import Clock, system_clock
from tessera.config import Settings
from tessera.logs import escape
from tessera.store import Store, open_store

__all__ = ["App", "app_from_env", "create_app"]

access_log = logging.getLogger("tessera.access")


class AccessLog:
    """One line per request: method, path, status, time. Never the query string or headers,
    where a ticket or a secret key would be. The method and path come from the client: their
    control characters are escaped, so a ``%0a`` in a path cannot start a forged line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access_log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            ms = (time.perf_counter() - start) * 1000
            method, path = escape(scope["method"]), escape(scope["path"])
            access_log.info("%s %s %d %.1fms", method, path, status, ms)


class App(Starlette):
    """Starlette, with the hot routes (see :mod:`tessera.api.hot`) taken before its
    middleware stack and router. The access log wraps both ways in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hot = HotRoutes(self.routes)
        self._logged = AccessLog(self._dispatch)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._logged(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._hot.endpoint(scope)
        if endpoint is None:
            await super().__call__(scope, receive, send)
        else:
            await self._hot.run(endpoint, scope, receive, send)


def system_routes(ctx: Context) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def openapi_document(request: Request) -> Response:
        return Response(openapi.document_bytes(), media_type="application/json")

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/v1/openapi.json", openapi_document, methods=["GET"]),
    ]


def create_app(
    settings: Settings, *, clock: Clock = system_clock, store: Store | None = None
) -> App:
    """The app. With ``store`` given it is used as is (and not closed); otherwise the
    database at ``settings.database_url`` is opened and migrated at start-up."""
    ctx = Context(settings, clock)
    if store is not None:
        ctx.store = store

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if store is not None:
            yield {}
            return
        ctx.store = await open_store(settings.database_url, keyring=settings.keyring)
        try:
            yield {}
        finally:
            await ctx.store.close()

    routes = (
        sign_in_tokens.routes(ctx)  # the hot routes first: the router tries them in order
        + users.routes(ctx)
        + system_routes(ctx)
        + tickets.routes(ctx)
        + sessions.routes(ctx)
        + instance.routes(ctx)
    )
    app = App(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers,
    )
    app.state.context = ctx
    return app


def app_from_env() -> App:
    """The factory ``tessera serve`` hands each uvicorn worker."""
    return create_app(Settings.from_env())
