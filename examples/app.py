"""An app that trusts Tessera's sign-in: it reads the ``__session`` cookie, verifies the JWT
offline with PyJWT against Tessera's JWKS, and greets the user.

    pip install starlette uvicorn 'pyjwt[crypto]'
    TESSERA_URL=https://auth.example.com uvicorn --factory examples.app:from_env
"""

from __future__ import annotations

import os
from html import escape

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route


def create_app(tessera_url: str) -> Starlette:
    keys = jwt.PyJWKClient(f"{tessera_url}/.well-known/jwks.json")  # fetched once, cached

    def home(request: Request) -> HTMLResponse:  # sync: Starlette runs it in a thread
        token = request.cookies.get("__session", "")
        try:
            key = keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key, algorithms=["RS256", "EdDSA"], issuer=tessera_url)
        except jwt.PyJWTError:
            return HTMLResponse("<p>Not signed in.</p>", status_code=401)
        return HTMLResponse(f"<p>Signed in as {escape(claims['sub'])}</p>")

    return Starlette(routes=[Route("/", home)])


def from_env() -> Starlette:
    return create_app(os.environ.get("TESSERA_URL", "http://127.0.0.1:8000"))
