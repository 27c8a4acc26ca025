"""An app that trusts Tessera's sign-in: it reads the ``__session`` cookie, verifies the JWT
offline with PyJWT against its instance's JWKS, checks who issued it and for whom, and greets
the user.

    pip install starlette uvicorn 'pyjwt[crypto]'
    TESSERA_ISSUER=https://auth.example.com/instances/ins_2x… \\
    APP_ORIGINS=https://app.example.com uvicorn --factory examples.app:from_env
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from html import escape

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

REQUIRED = ["sub", "sid", "iss", "iat", "nbf", "exp"]


def create_app(issuer: str, authorized_parties: Sequence[str] = ()) -> Starlette:
    """``issuer``: the instance's ``iss`` (``{TESSERA_PUBLIC_URL}/instances/{id}``). A token's
    ``azp``, when it has one, must be one of ``authorized_parties`` (this app's origins)."""
    # The key set is cached a minute at most: a revoked key stops verifying here within it.
    keys = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", lifespan=60)

    def home(request: Request) -> HTMLResponse:  # sync: Starlette runs it in a thread
        token = request.cookies.get("__session", "")
        try:
            key = keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256", "EdDSA"],
                issuer=issuer,
                options={"require": REQUIRED},
            )
        except jwt.PyJWTError:
            return HTMLResponse("<p>Not signed in.</p>", status_code=401)
        azp = claims.get("azp")  # as Clerk's verifyToken: checked when present
        if azp is not None and authorized_parties and azp not in authorized_parties:
            return HTMLResponse("<p>Not signed in here.</p>", status_code=401)
        return HTMLResponse(f"<p>Signed in as {escape(claims['sub'])}</p>")

    return Starlette(routes=[Route("/", home)])


def from_env() -> Starlette:
    origins = os.environ.get("APP_ORIGINS", "")
    return create_app(
        os.environ["TESSERA_ISSUER"], [o.strip() for o in origins.split(",") if o.strip()]
    )
