"""The ``sessions`` resource (list, get, revoke, and their twins) on both clients against a
real server, and ``redirect_url`` on ``CreateSignInTokenRequest``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from redeeming import new_token, sign_in
from sdk_helpers import close, make_client, run
from servers import ManualClock, Running
from tessera import (
    BadRequestError,
    CreateSignInTokenRequest,
    NotFoundError,
    Session,
    SessionActivity,
    UnprocessableEntityError,
)
from tessera.store import open_store


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, server: Running) -> AsyncIterator[Any]:
    """A Client or an AsyncClient for the real server."""
    sdk = make_client(request.param, server.secret_key, server.api_url)
    yield sdk
    await close(sdk)


def session_of(server: Running, api: httpx.Client, user_id: str | None = None) -> str:
    """The id of a new session, from redeeming a new token (of ``user_id``, or a new user)."""
    response = sign_in(server.base_url, new_token(api, user_id)["token"])
    assert response.status_code == 200, response.text
    sid: str = response.json()["response"]["created_session_id"]
    return sid


async def test_get_session_and_its_twin_answer_a_typed_session(
    client: Any, api: httpx.Client, server: Running, clock: ManualClock
) -> None:
    """get_session answers the session with datetimes and where it was started from."""
    token = new_token(api)
    response = sign_in(server.base_url, token["token"])
    sid = response.json()["response"]["created_session_id"]
    session = await run(client.sessions.get_session(sid))
    assert isinstance(session, Session)
    assert (session.id, session.user_id, session.status) == (sid, token["user_id"], "active")
    assert session.client_id == response.json()["client"]["id"]
    assert session.expire_at - session.created_at == timedelta(days=7)
    assert isinstance(session.latest_activity, SessionActivity)
    assert session.latest_activity.ip_address == "127.0.0.1"
    data, status, headers = await run(client.sessions.get_session_with_http_info(sid))
    assert (data, status, headers["content-type"]) == (session, 200, "application/json")


async def test_get_session_list_filters_and_pages_and_its_twin(
    client: Any, api: httpx.Client, server: Running, clock: ManualClock
) -> None:
    """The list is newest first, filtered by user, client and status, paged by limit/offset."""
    user_id = new_token(api)["user_id"]
    older = session_of(server, api, user_id)
    clock.advance(1)
    newer = session_of(server, api, user_id)
    clock.advance(1)
    other = session_of(server, api)
    sessions = client.sessions

    mine = await run(sessions.get_session_list(user_id=user_id))
    assert all(isinstance(s, Session) for s in mine)
    assert [s.id for s in mine] == [newer, older]
    assert [s.id for s in await run(sessions.get_session_list())] == [other, newer, older]
    page = await run(sessions.get_session_list(user_id=user_id, limit=1, offset=1))
    assert [s.id for s in page] == [older]
    client_id = mine[0].client_id
    by_client = await run(sessions.get_session_list(client_id=client_id))
    assert [s.id for s in by_client] == [newer]
    api.post(f"/v1/sessions/{older}/revoke")
    data, status, _ = await run(
        sessions.get_session_list_with_http_info(user_id=user_id, status="revoked")
    )
    assert (status, [s.id for s in data]) == (200, [older])


async def test_revoke_session_and_its_twin(
    client: Any, api: httpx.Client, server: Running, clock: ManualClock
) -> None:
    """Revoke answers the session revoked; revoking it again is a BadRequestError with
    ``session_cannot_be_revoked_code``; an unknown id is NotFoundError."""
    first, second = session_of(server, api), session_of(server, api)
    clock.advance(2)
    revoked = await run(client.sessions.revoke_session(first))
    assert (revoked.id, revoked.status) == (first, "revoked")
    assert revoked.updated_at - revoked.created_at == timedelta(seconds=2)
    data, status, _ = await run(client.sessions.revoke_session_with_http_info(second))
    assert (status, data.status) == (200, "revoked")
    assert (await run(client.sessions.get_session(first))).status == "revoked"

    with pytest.raises(BadRequestError) as raised:
        await run(client.sessions.revoke_session(first))
    assert raised.value.errors[0].code == "session_cannot_be_revoked_code"
    with pytest.raises(NotFoundError):
        await run(client.sessions.get_session("sess_missing"))


async def test_a_session_past_its_expiry_reads_expired(
    client: Any, api: httpx.Client, server: Running, clock: ManualClock
) -> None:
    """Past ``expire_at`` a session reads expired, and the status filter finds it so."""
    sid = session_of(server, api)
    clock.advance(7 * 86400 + 1)
    assert (await run(client.sessions.get_session(sid))).status == "expired"
    expired = await run(client.sessions.get_session_list(status="expired"))
    assert [s.id for s in expired] == [sid]


async def stored_redirect(server: Running, token_id: str) -> str | None:
    """The token's redirect URL as stored (the API never shows it)."""
    store = await open_store(server.database_url)
    try:
        instance = await store.instances.first()
        assert instance is not None
        token = await store.tokens.get(instance.id, token_id)
        assert token is not None
        return token.redirect_url
    finally:
        await store.close()


async def test_create_sign_in_token_sends_redirect_url_only_when_given(
    client: Any, api: httpx.Client, server: Running
) -> None:
    """An allowed ``redirect_url`` is stored with the token; one off the allow-list is a 422
    naming it; left out, it is not sent at all (so Clerk's API never sees it)."""
    allowed = "https://app.example.com/welcome/ann"
    patched = api.patch("/v1/instance", json={"allowed_redirect_urls": [allowed]})
    assert patched.status_code == 204
    user_id = new_token(api)["user_id"]
    request = CreateSignInTokenRequest(user_id=user_id, redirect_url=allowed)
    token = await run(client.sign_in_tokens.create_sign_in_token(request))
    assert await stored_redirect(server, token.id) == allowed

    elsewhere = CreateSignInTokenRequest(user_id=user_id, redirect_url="https://evil.example/")
    with pytest.raises(UnprocessableEntityError) as raised:
        await run(client.sign_in_tokens.create_sign_in_token(elsewhere))
    assert raised.value.errors[0].meta == {"param_name": "redirect_url"}

    assert "redirect_url" not in CreateSignInTokenRequest(user_id=user_id).to_json()
    plain = await run(client.sign_in_tokens.create_sign_in_token({"user_id": user_id}))
    assert await stored_redirect(server, plain.id) is None
