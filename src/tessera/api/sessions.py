"""``/v1/sessions``: the Backend API's list, get and revoke, in the official SDK's shape."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera import sessions
from tessera.api import params, shapes
from tessera.api.context import Context, json_response

__all__ = ["routes"]


def routes(ctx: Context) -> list[Route]:
    async def list_sessions(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        limit, offset = params.page(request)
        query = request.query_params
        paginated = params.query_bool(query, "paginated")
        now = ctx.clock()
        filters: dict[str, Any] = {
            name: params.query_text(query, name) for name in ("user_id", "client_id", "status")
        }
        found = await sessions.list_sessions(
            ctx.store, instance_id, **filters, now=now, limit=limit, offset=offset
        )
        data = [shapes.session(s, now=now) for s in found]
        if not paginated:
            return json_response(data)
        total = await sessions.count_sessions(ctx.store, instance_id, **filters, now=now)
        return json_response({"data": data, "total_count": total})

    async def get(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        session = await sessions.get(ctx.store, instance_id, request.path_params["session_id"])
        return json_response(shapes.session(session, now=ctx.clock()))

    async def revoke(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        await params.json_body(request)  # refuse a malformed body; an empty one is fine
        now = ctx.clock()
        session_id = request.path_params["session_id"]
        session = await sessions.revoke(ctx.store, instance_id, session_id, now=now)
        return json_response(shapes.session(session, now=now))

    return [
        Route("/v1/sessions", list_sessions, methods=["GET"]),
        Route("/v1/sessions/{session_id}", get, methods=["GET"]),
        Route("/v1/sessions/{session_id}/revoke", revoke, methods=["POST"]),
    ]
