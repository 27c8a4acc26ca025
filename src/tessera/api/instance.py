"""Public keys for verifying session tokens offline, and the instance's redemption settings.

``GET /v1/jwks`` with a secret key answers that instance's keys (the Backend API's JWKS);
without one, and at ``/.well-known/jwks.json``, the default instance's. Each instance signs
with its own keys and its tokens' ``iss`` is ``{TESSERA_PUBLIC_URL}/instances/{id}``, so
``{iss}/.well-known/jwks.json`` answers that instance's keys without a secret key. Every
answer is read from the database: a revoked key is gone from the next one, on every node.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tessera import ids, instance_settings, signing
from tessera.api import params
from tessera.api.context import Context
from tessera.errors import NotFound

__all__ = ["routes"]

# Verifiers refetch on an unknown kid; a short cache keeps a revocation quick to reach them.
_CACHE = "public, max-age=60"
_SETTINGS = (
    "sign_in_url",
    "after_sign_in_url",
    "allowed_redirect_urls",
    "session_lifetime",
    "signing_algorithm",
)


def routes(ctx: Context) -> list[Route]:
    async def instance_for_jwks(request: Request) -> str:
        if "authorization" in request.headers:
            return await ctx.instance_of(request)
        default = await ctx.store.instances.first()
        if default is None:
            raise NotFound("This server has no instance yet.")
        return default.id

    async def jwks(request: Request) -> Response:
        return await jwks_of(await instance_for_jwks(request))

    async def issuer_jwks(request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        if not ids.is_id(instance_id, "ins") or not await ctx.store.instances.get(instance_id):
            raise NotFound()
        return await jwks_of(instance_id)

    async def jwks_of(instance_id: str) -> Response:
        body = await signing.jwks(ctx.store, instance_id, now=ctx.clock())
        return Response(
            orjson.dumps(body), media_type="application/json", headers={"Cache-Control": _CACHE}
        )

    async def update_instance(request: Request) -> Response:
        """Clerk's ``PATCH /v1/instance`` (204), with Tessera's redemption settings. Clerk's
        own fields (test_mode, allowed_origins, …) mean nothing here and are ignored."""
        instance_id = await ctx.instance_of(request)
        body = await params.json_body(request)
        changes = {name: body[name] for name in _SETTINGS if name in body}
        await instance_settings.update(ctx.store, instance_id, changes)
        return Response(status_code=204)

    return [
        Route("/v1/jwks", jwks, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/instances/{instance_id}/.well-known/jwks.json", issuer_jwks, methods=["GET"]),
        Route("/v1/instance", update_instance, methods=["PATCH"]),
    ]
