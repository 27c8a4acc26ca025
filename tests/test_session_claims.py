"""The session token's ``iss`` (one per instance, with its JWKS under it) and ``azp``."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt

from conftest import in_store
from redeeming import CONFORMANCE, new_token, session_jwt, verify
from servers import Running, free_port, serve_in_thread
from tessera import keys
from tessera.config import Settings
from tessera.store import Store

APP = "http://127.0.0.1:3000"
ROOT = Path(__file__).resolve().parent.parent


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


def example_app(issuer: str, parties: list[str]) -> Any:
    spec = importlib.util.spec_from_file_location("example_app", ROOT / "examples" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app(issuer, parties)


def test_the_example_app_checks_iss_and_azp(server: Running, api: httpx.Client) -> None:
    """examples/app.py accepts its instance's token for its own origin only: another
    issuer, or an azp that is not one of its origins, reads as not signed in."""
    assert api.patch("/v1/instance", json={"after_sign_in_url": f"{APP}/"}).status_code == 204
    body = {"strategy": "ticket", "ticket": new_token(api)["token"]}
    token = session_jwt(httpx.post(server.base_url + "/v1/client/sign_ins", json=body))
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    other_id, _ = second_instance(server)
    cases = [
        (issuer, [APP], 200),
        (issuer, ["http://127.0.0.1:3001"], 401),
        (f"{server.base_url}/instances/{other_id}", [APP], 401),
    ]
    for app_issuer, parties, status in cases:
        port = free_port()  # the example app, served for real beside Tessera
        with serve_in_thread(Settings(port=port), app=example_app(app_issuer, parties)):
            response = httpx.get(f"http://127.0.0.1:{port}/", cookies={"__session": token})
        assert response.status_code == status, (app_issuer, parties)
