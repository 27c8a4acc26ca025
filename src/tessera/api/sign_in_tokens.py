"""``/v1/sign_in_tokens``: Clerk's create and revoke, and Tessera's get, list, revoke-all."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera import tokens
from tessera.api import params, shapes
from tessera.api.context import Context, json_response
from tessera.api.idempotency import idempotent
from tessera.errors import ParamInvalid

__all__ = ["routes"]

STATUSES = ("pending", "accepted", "revoked")


def routes(ctx: Context) -> list[Route]:
    async def create(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        body = await params.json_body(request)
        user_id = params.required_str(body, "user_id")
        expires_in = params.optional_int(body, "expires_in_seconds")
        redirect_url = params.optional_str(body, "redirect_url")  # a Tessera extension
        if body.get("org_id") is not None:
            raise ParamInvalid("org_id", "Tessera has no organizations; send null or leave it out")
        token, ticket = await tokens.create(
            ctx.store,
            instance_id,
            user_id,
            expires_in_seconds=expires_in,
            max_lifetime=ctx.settings.max_token_lifetime,
            now=ctx.clock(),
            redirect_url=redirect_url,
        )
        url = tokens.link(ctx.settings.public_url, ticket)
        return json_response(shapes.sign_in_token(token, ticket=ticket, url=url))

    async def revoke(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        await params.json_body(request)  # refuse a malformed body; an empty one is fine
        token_id = request.path_params["sign_in_token_id"]
        token = await tokens.revoke(ctx.store, instance_id, token_id, now=ctx.clock())
        return json_response(shapes.sign_in_token(token))

    async def get(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        token = await tokens.get(ctx.store, instance_id, request.path_params["sign_in_token_id"])
        return json_response(shapes.sign_in_token(token))

    async def list_tokens(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        limit, offset = params.page(request)
        status = request.query_params.get("status")
        if status is not None and status not in STATUSES:
            raise ParamInvalid("status", "it must be pending, accepted or revoked")
        found, total = await ctx.store.tokens.search(
            instance_id,
            user_id=request.query_params.get("user_id"),
            status=status,
            limit=limit,
            offset=offset,
        )
        return json_response(shapes.sign_in_token_page(found, total))

    async def revoke_all_of_user(request: Request) -> Response:
        instance_id = await ctx.instance_of(request)
        await params.json_body(request)
        user_id = request.path_params["user_id"]
        count = await tokens.revoke_all_of_user(ctx.store, instance_id, user_id, now=ctx.clock())
        return json_response(
            {"object": "sign_in_token_revocation", "user_id": user_id, "revoked_count": count}
        )

    return [
        Route("/v1/sign_in_tokens", idempotent(ctx, create), methods=["POST"]),
        Route("/v1/sign_in_tokens", list_tokens, methods=["GET"]),
        Route("/v1/sign_in_tokens/{sign_in_token_id}", get, methods=["GET"]),
        Route("/v1/sign_in_tokens/{sign_in_token_id}/revoke", revoke, methods=["POST"]),
        Route("/v1/users/{user_id}/sign_in_tokens/revoke", revoke_all_of_user, methods=["POST"]),
    ]
