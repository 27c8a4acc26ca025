"""Helpers for the redemption and session tests: tokens, sign-ins, JWT verification, and a
server with chosen settings."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

import conformance
from conftest import make_user, start_server

# Every answer these helpers get is checked against the OpenAPI document, as server.client()'s.
CONFORMANCE: dict[str, list[Any]] = {"response": [conformance.hook]}


running = start_server  # a server with chosen settings (e.g. a rate limit)


def new_token(api: httpx.Client, user_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A sign-in token (for a new user unless ``user_id``), as created over the API."""
    if user_id is None:
        address = f"jane.doe+{secrets.token_hex(4)}@example.com"
        user_id = make_user(api, email_address=[address])["id"]
    response = api.post("/v1/sign_in_tokens", json={"user_id": user_id, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ticket_in(url: str) -> str:
    return parse_qs(urlsplit(url).query)["ticket"][0]


def sign_in(base_url: str, ticket: str, *, form: bool = False) -> httpx.Response:
    """POST /v1/client/sign_ins with the ticket strategy, with no secret key."""
    body = {"strategy": "ticket", "ticket": ticket}
    with httpx.Client(base_url=base_url, timeout=30, event_hooks=CONFORMANCE) as client:
        if form:
            return client.post("/v1/client/sign_ins", data=body)
        return client.post("/v1/client/sign_ins", json=body)


CSRF_COOKIE = "tessera_csrf"  # its name on plain http (loopback); "__Host-tessera_csrf" on https


def press_continue(base_url: str, ticket: str, **headers: str) -> httpx.Response:
    """What a browser sends when Continue is pressed: the ticket, and the form token both in
    the form and in the cookie the page set (here a pair of the test's own making, so that
    tickets whose page shows no form can be posted too)."""
    form_token = secrets.token_urlsafe(32)
    with httpx.Client(base_url=base_url, timeout=30, event_hooks=CONFORMANCE) as client:
        client.cookies.set(CSRF_COOKIE, form_token)
        return client.post(
            "/v1/tickets/accept",
            data={"ticket": ticket, "csrf": form_token},
            headers={"sec-fetch-site": "same-origin", **headers},
        )


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["code"]
    return code


def session_jwt(response: httpx.Response) -> str:
    token: str = response.json()["client"]["sessions"][0]["last_active_token"]["jwt"]
    return token


def issuer_of(base_url: str, token: str) -> str:
    """The token's ``iss``, checked to be an instance's issuer on this server."""
    issuer: str = jwt.decode(token, options={"verify_signature": False})["iss"]
    assert re.fullmatch(re.escape(base_url) + r"/instances/ins_\w{27}", issuer), issuer
    return issuer


def verify(base_url: str, token: str, *, path: str | None = None) -> dict[str, Any]:
    """The claims of a session token, verified with PyJWT against the server's JWKS at
    ``path`` (default: ``{iss}/.well-known/jwks.json``); its ``iss`` is an instance's issuer
    on this server."""
    issuer = issuer_of(base_url, token)
    url = issuer + "/.well-known/jwks.json" if path is None else base_url + path
    keys = jwt.PyJWKSet.from_dict(httpx.get(url).json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=["RS256", "EdDSA"],
        issuer=issuer,
        options={"require": ["sub", "sid", "iss", "iat", "nbf", "exp"]},
    )
    return claims
