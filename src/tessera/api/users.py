"""``/v1/users``: the Clerk-compatible subset Tessera models."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera import users
from tessera.api import params, shapes, user_params
from tessera.api.context import Context, json_response
from tessera.api.errors import OTHER_METHODS, method_not_allowed
from tessera.api.idempotency import idempotent

__all__ = ["routes"]

_STRINGS = ("external_id", "username", "first_name", "last_name")
_OBJECTS = ("public_metadata", "private_metadata")


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """The updatable fields present in ``body``, type-checked (null clears a string)."""
    fields: dict[str, Any] = {}
    for name in _STRINGS:
        if name in body:
            fields[name] = params.optional_str(body, name)
    for name in _OBJECTS:
        if name in body:
            fields[name] = params.optional_dict(body, name) or {}
    return fields


def routes(ctx: Context) -> list[Route]:
    async def create(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        body = await params.json_body(request)
        emails = params.str_list(body, "email_address")
        user = await users.create(
            ctx.store, instance_id, email_addresses=emails, now=ctx.clock(), **_fields(body)
        )
        return json_response(shapes.user(user))

    async def get(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        user = await users.get(ctx.store, instance_id, request.path_params["user_id"])
        return json_response(shapes.user(user))

    async def list_users(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        query = user_params.user_query(request.query_params, page=params.page(request))
        found = await users.list_users(ctx.store, instance_id, query)
        return json_response([shapes.user(u) for u in found])

    async def count(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        query = user_params.user_query(request.query_params)
        total = await users.count_users(ctx.store, instance_id, query)
        return json_response({"object": "total_count", "total_count": total})

    async def update(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        body = await params.json_body(request)
        user_id = request.path_params["user_id"]
        user = await users.update(ctx.store, instance_id, user_id, _fields(body), now=ctx.clock())
        return json_response(shapes.user(user))

    async def delete(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        user_id = request.path_params["user_id"]
        await users.delete(ctx.store, instance_id, user_id, now=ctx.clock())
        return json_response(shapes.deleted("user", user_id))

    def banning(banned: bool) -> Any:
        async def endpoint(request: Request) -> Response:
            instance_id = await ctx.instance_of(request)
            await params.json_body(request)
            user_id = request.path_params["user_id"]
            user = await users.ban(ctx.store, instance_id, user_id, banned=banned, now=ctx.clock())
            return json_response(shapes.user(user))

        return endpoint

    return [
        Route("/v1/users", idempotent(ctx, create), methods=["POST"]),
        Route("/v1/users", list_users, methods=["GET"]),
        Route("/v1/users/count", count, methods=["GET"]),
        Route("/v1/users/count", method_not_allowed, methods=OTHER_METHODS),  # not a user_id
        Route("/v1/users/{user_id}", get, methods=["GET"]),
        Route("/v1/users/{user_id}", update, methods=["PATCH"]),
        Route("/v1/users/{user_id}", delete, methods=["DELETE"]),
        Route("/v1/users/{user_id}/ban", banning(True), methods=["POST"]),
        Route("/v1/users/{user_id}/unban", banning(False), methods=["POST"]),
    ]
