"""POST /v1/sign_in_tokens and its revoke, over raw HTTP, per the wire contract."""

from __future__ import annotations

import re

import httpx

from conftest import make_user
from servers import ManualClock, Running

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
