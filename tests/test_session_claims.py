"""The session token's ``iss`` (one per instance, with its JWKS under it) and ``azp``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from conftest import in_store
from redeeming import CONFORMANCE, new_token, session_jwt, verify
from servers import Running
from tessera import keys
from tessera.store import Store

APP = "http://127.0.0.1:3000"


def second_instance(server: Running) -> tuple[str, str]:
    """Another instance of the server's database: its id and a secret key."""

    async def make(store: Store) -> tuple[str, str]:
        now = datetime.now(UTC)
        instance = await keys.create_instance(store, "second", now=now)
        _, secret = await keys.create_key(store, instance.id, now=now)
        return instance.id, secret

    return in_store(server.database_url, make)


def claims_of(server: Running, ticket: str, origin: str | None = None) -> dict[str, Any]:
    """Redeem through POST /v1/client/sign_ins (with ``Origin`` if given); the token's claims."""
    headers = {"Origin": origin} if origin else {}
    body = {"strategy": "ticket", "ticket": ticket}
    with httpx.Client(base_url=server.base_url, event_hooks=CONFORMANCE) as client:
        response = client.post("/v1/client/sign_ins", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return verify(server.base_url, session_jwt(response))


def jwks_kids(url: str) -> list[str]:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    return [k["kid"] for k in response.json()["keys"]]


def test_each_instance_has_its_own_issuer_and_its_jwks_under_it(
    server: Running, api: httpx.Client
) -> None:
    """iss is {TESSERA_PUBLIC_URL}/instances/{id}; {iss}/.well-known/jwks.json serves that
    instance's keys (no secret key needed) and verifies the token; the other instance's
    issuer differs and its JWKS does not hold this kid."""
    first = claims_of(server, new_token(api)["token"])
    other_id, other_secret = second_instance(server)
    with server.client(other_secret) as other_api:
        second = claims_of(server, new_token(other_api)["token"])
    assert second["iss"] == f"{server.base_url}/instances/{other_id}"
    assert first["iss"] != second["iss"]
    assert first["iss"].startswith(server.base_url + "/instances/ins_")
    first_kids = jwks_kids(first["iss"] + "/.well-known/jwks.json")
    second_kids = jwks_kids(second["iss"] + "/.well-known/jwks.json")
    assert first_kids == jwks_kids(server.base_url + "/.well-known/jwks.json")
    assert not set(first_kids) & set(second_kids)


def test_the_issuer_jwks_of_an_unknown_instance_is_a_404(server: Running) -> None:
    for instance_id in ("ins_" + "0" * 27, "nope"):
        url = f"{server.base_url}/instances/{instance_id}/.well-known/jwks.json"
        response = httpx.get(url)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "resource_not_found"


def test_azp_is_the_allowed_origin_that_redeemed(server: Running, api: httpx.Client) -> None:
    """An Origin that is one of the instance's app origins becomes azp; a foreign Origin
    does not: azp is then where the sign-in lands."""
    settings = {
        "after_sign_in_url": f"{APP}/welcome",
        "allowed_redirect_urls": ["http://localhost:4000/*"],
    }
    assert api.patch("/v1/instance", json=settings).status_code == 204
    assert claims_of(server, new_token(api)["token"], APP)["azp"] == APP
    other = "http://localhost:4000"
    assert claims_of(server, new_token(api)["token"], other)["azp"] == other
    assert claims_of(server, new_token(api)["token"], "https://evil.example")["azp"] == APP
    assert claims_of(server, new_token(api)["token"], "null")["azp"] == APP


def test_azp_without_origin_is_where_the_sign_in_lands(server: Running, api: httpx.Client) -> None:
    """A server-side redemption (no Origin): the token's redirect_url's origin, else the
    instance's after_sign_in_url's; no azp at all when the instance names no app URL."""
    assert "azp" not in claims_of(server, new_token(api)["token"])
    settings = {
        "after_sign_in_url": f"{APP}/welcome",
        "allowed_redirect_urls": ["http://localhost:4000/*"],
    }
    assert api.patch("/v1/instance", json=settings).status_code == 204
    assert claims_of(server, new_token(api)["token"])["azp"] == APP
    landing = new_token(api, redirect_url="http://localhost:4000/done")["token"]
    assert claims_of(server, landing)["azp"] == "http://localhost:4000"
