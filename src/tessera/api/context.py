"""What every route is handed: the store, the settings and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tessera import keys
from tessera.clock import Clock, system_clock
from tessera.config import Settings
from tessera.errors import AuthorizationHeaderInvalid
from tessera.store import Store

__all__ = ["Context", "Endpoint", "json_response"]

Endpoint = Callable[[Request], Awaitable[Response]]  # what every route handler is


@dataclass
class Context:
    settings: Settings
    clock: Clock = system_clock
    store: Store = field(init=False)  # opened by the app's lifespan

    async def instance_of(self, request: Request) -> str:
        """The instance whose secret key authorises ``request``."""
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthorizationHeaderInvalid()
        return await keys.authenticate(self.store, secret.strip())


def json_response(body: Any) -> Response:
    """200 with ``Content-Type: application/json`` exactly (no charset: SDKs compare it)."""
    return Response(orjson.dumps(body), media_type="application/json")
