"""POST /v1/sign_in_tokens and its revoke, over raw HTTP, per the wire contract."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conftest import in_store, make_user, start_server
from servers import ManualClock, Running
from tessera.models import SignInToken
from tessera.store import Store

TOKEN_KEYS = {"object", "id", "status", "user_id", "token", "url", "created_at", "updated_at"}


def test_create_answers_200_with_exactly_the_sign_in_token_keys(
    server: Running, api: httpx.Client, clock: ManualClock
) -> None:
    user = make_user(api, email_address=["ann@example.com"])
    response = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["object"] == "sign_in_token"
    assert re.fullmatch(r"sit_[0-9A-Za-z]{27}", body["id"])
    assert body["status"] == "pending"
    assert body["user_id"] == user["id"]
    assert body["url"] == f"{server.base_url}/v1/tickets/accept?ticket={body['token']}"
    assert body["created_at"] == body["updated_at"] == int(clock.now.timestamp() * 1000)


def stored(server: Running, token_id: str) -> SignInToken:
    async def get(store: Store) -> SignInToken | None:
        instance = await store.instances.first()
        assert instance is not None
        return await store.tokens.get(instance.id, token_id)

    token = in_store(server.database_url, get)
    assert token is not None
    return token


@pytest.mark.parametrize(
    ("body", "lifetime"),
    [({}, 2_592_000), ({"expires_in_seconds": None}, 2_592_000), ({"expires_in_seconds": 90}, 90)],
)
def test_expiry_defaults_to_thirty_days_when_absent_or_null(
    server: Running, api: httpx.Client, clock: ManualClock, body: dict[str, Any], lifetime: int
) -> None:
    """expires_at is now + expires_in_seconds, or now + 30 days when it is absent or null."""
    user = make_user(api)
    created = api.post("/v1/sign_in_tokens", json={"user_id": user["id"], **body}).json()
    token = stored(server, created["id"])
    created_at = datetime.fromtimestamp(created["created_at"] / 1000, UTC)
    assert token.expires_at == created_at + timedelta(seconds=lifetime)
    assert abs(created_at - clock.now) < timedelta(milliseconds=1)


def test_get_and_list_never_return_the_ticket_again(api: httpx.Client) -> None:
    """The ticket is shown once, by create; reads omit token and url."""
    user = make_user(api)
    created = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]}).json()
    fetched = api.get(f"/v1/sign_in_tokens/{created['id']}").json()
    assert fetched == {k: v for k, v in created.items() if k not in ("token", "url")}
    page = api.get("/v1/sign_in_tokens").json()
    assert page == {"data": [fetched], "total_count": 1}
    assert created["token"] not in api.get("/v1/sign_in_tokens").text


def test_list_filters_by_user_and_status_and_pages_newest_first(
    api: httpx.Client, clock: ManualClock
) -> None:
    """user_id and status filter; limit/offset page; total_count counts every match."""
    ann, bob = make_user(api)["id"], make_user(api)["id"]
    ids = []
    for _ in range(3):
        clock.advance(1)
        ids.append(api.post("/v1/sign_in_tokens", json={"user_id": ann}).json()["id"])
    api.post("/v1/sign_in_tokens", json={"user_id": bob})
    api.post(f"/v1/sign_in_tokens/{ids[0]}/revoke")
    page = api.get("/v1/sign_in_tokens", params={"user_id": ann, "limit": 2}).json()
    assert [t["id"] for t in page["data"]] == [ids[2], ids[1]]
    assert page["total_count"] == 3
    page = api.get("/v1/sign_in_tokens", params={"user_id": ann, "offset": 2}).json()
    assert [t["id"] for t in page["data"]] == [ids[0]]
    revoked = api.get("/v1/sign_in_tokens", params={"status": "revoked"}).json()
    assert [t["id"] for t in revoked["data"]] == [ids[0]]
    response = api.get("/v1/sign_in_tokens", params={"status": "expired"})
    assert response.status_code == 422


def test_revoke_accepts_an_empty_body_with_or_without_a_content_type(api: httpx.Client) -> None:
    """Both official SDKs' ways of sending an empty revoke are accepted."""
    user = make_user(api)
    for headers in ({}, {"content-type": "application/json"}):
        token = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]}).json()
        response = api.post(f"/v1/sign_in_tokens/{token['id']}/revoke", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "revoked"
        assert response.json()["updated_at"] >= token["updated_at"]


def test_revoke_all_of_a_user_revokes_only_their_pending_tokens(api: httpx.Client) -> None:
    """POST /v1/users/{id}/sign_in_tokens/revoke touches one user's pending tokens only."""
    ann, bob = make_user(api)["id"], make_user(api)["id"]
    ann_tokens = [
        api.post("/v1/sign_in_tokens", json={"user_id": ann}).json()["id"] for _ in range(3)
    ]
    bob_token = api.post("/v1/sign_in_tokens", json={"user_id": bob}).json()["id"]
    api.post(f"/v1/sign_in_tokens/{ann_tokens[0]}/revoke")
    response = api.post(f"/v1/users/{ann}/sign_in_tokens/revoke")
    assert response.status_code == 200
    assert response.json()["revoked_count"] == 2
    assert {api.get(f"/v1/sign_in_tokens/{t}").json()["status"] for t in ann_tokens} == {"revoked"}
    assert api.get(f"/v1/sign_in_tokens/{bob_token}").json()["status"] == "pending"
    assert api.post(f"/v1/users/user_{'0' * 27}/sign_in_tokens/revoke").status_code == 404


@pytest.mark.parametrize("action", ["delete", "ban"])
def test_deleting_or_banning_a_user_revokes_their_pending_tokens(
    api: httpx.Client, action: str
) -> None:
    """A deleted or banned user's pending tokens become revoked."""
    user = make_user(api)["id"]
    token = api.post("/v1/sign_in_tokens", json={"user_id": user}).json()["id"]
    if action == "delete":
        assert api.delete(f"/v1/users/{user}").status_code == 200
    else:
        assert api.post(f"/v1/users/{user}/ban").json()["banned"] is True
    assert api.get(f"/v1/sign_in_tokens/{token}").json()["status"] == "revoked"


@pytest.mark.parametrize(
    "version", [None, "2021-02-05", "2024-10-01", "2025-04-10", "2025-11-10", "2026-05-12"]
)
def test_every_published_api_version_is_accepted(api: httpx.Client, version: str | None) -> None:
    """Clerk-API-Version is optional and any published version is served the same."""
    headers = {"Clerk-API-Version": version} if version else {}
    user = make_user(api)
    response = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]}, headers=headers)
    assert response.status_code == 200
    assert set(response.json()) == TOKEN_KEYS


def test_links_ignore_the_host_and_forwarded_host_headers(
    server: Running, api: httpx.Client
) -> None:
    """The url is built from the configured public URL, whatever Host the request claims."""
    user = make_user(api)
    headers = {"host": "evil.example", "x-forwarded-host": "evil.example"}
    body = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]}, headers=headers).json()
    assert body["url"].startswith(server.settings.public_url + "/v1/tickets/accept?ticket=")
    assert "evil" not in body["url"]


def test_a_configured_lifetime_cap_refuses_longer_tokens(
    database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """With TESSERA_MAX_TOKEN_LIFETIME set, longer (and default) lifetimes are 422."""
    capped = start_server(database_url, secret_key, clock, max_token_lifetime=3600)
    with capped as running, running.client() as api:
        user = make_user(api)["id"]
        ok = api.post("/v1/sign_in_tokens", json={"user_id": user, "expires_in_seconds": 3600})
        assert ok.status_code == 200
        for body in ({"user_id": user, "expires_in_seconds": 3601}, {"user_id": user}):
            refused = api.post("/v1/sign_in_tokens", json=body)
            assert refused.status_code == 422
            error = refused.json()["errors"][0]
            assert error["code"] == "form_param_value_invalid"
            assert error["meta"] == {"param_name": "expires_in_seconds"}
            assert "3600" in error["long_message"]
