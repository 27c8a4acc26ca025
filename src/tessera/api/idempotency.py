"""Creates that a client may retry: the ``Idempotency-Key`` header, around an endpoint.

With the header, the endpoint runs at most once per key and request (24 hours); a retry gets
the first response again, marked ``Idempotent-Replayed: true``. A failed request (an error
response) keeps nothing, so its retry runs afresh: errors here never follow a commit.
Without the header the endpoint runs as it is.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera import idempotency
from tessera.api import params
from tessera.api.context import Context, Endpoint

__all__ = ["idempotent"]


def idempotent(ctx: Context, endpoint: Endpoint) -> Endpoint:
    """``endpoint``, answering a repeated Idempotency-Key with the first response."""

    async def wrapped(request: Request) -> Response:
        raw_key = request.headers.get(idempotency.KEY_HEADER)
        if raw_key is None:
            return await endpoint(request)
        instance_id = await ctx.instance_of(request)  # no store access before authentication
        outcome = await idempotency.begin(
            ctx.store,
            instance_id,
            raw_key,
            method=request.method,
            path=request.url.path,
            body=await params.raw_body(request),
            now=ctx.clock(),
        )
        if isinstance(outcome, idempotency.Replay):
            return Response(
                outcome.body,
                status_code=outcome.status,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = await endpoint(request)
        except BaseException:
            await idempotency.release(ctx.store, outcome)
            raise
        await idempotency.finish(ctx.store, outcome, response.status_code, bytes(response.body))
        return response

    return wrapped
