"""Every resource method and its ``_with_http_info`` twin, on both clients, against a real
server: the blocking client and the asyncio one give the same typed results."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import tessera
from conftest import make_user
from sdk_helpers import close, make_client, run
from servers import ManualClock, Running
from tessera import (
    CreateSignInTokenRequest,
    CreateUserRequest,
    DeletedObject,
    SignInToken,
    SignInTokenList,
    SignInTokenRevocation,
    UpdateUserRequest,
    User,
)


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, server: Running) -> AsyncIterator[Any]:
    """A Client or an AsyncClient for the real server."""
    sdk = make_client(request.param, server.secret_key, server.api_url)
    yield sdk
    await close(sdk)


def ms(moment: datetime) -> datetime:
    """``moment`` at the millisecond precision of the wire."""
    return datetime.fromtimestamp(int(moment.timestamp() * 1000) / 1000, UTC)


def assert_info(info: Any, data_type: type) -> Any:
    data, status_code, headers = info
    assert status_code == 200
    assert headers["content-type"] == "application/json"
    assert isinstance(data, data_type)
    return data


async def test_async_methods_are_coroutine_functions_with_the_sync_names(server: Running) -> None:
    """Both clients offer the same method names; the async ones are coroutine functions."""
    sync, aio = tessera.Client(server.secret_key), tessera.AsyncClient(server.secret_key)
    for resource in ("sign_in_tokens", "users", "sessions", "sign_ins"):
        names = [n for n in dir(getattr(sync, resource)) if not n.startswith("_")]
        assert names == [n for n in dir(getattr(aio, resource)) if not n.startswith("_")]
        for name in names:
            assert inspect.iscoroutinefunction(getattr(getattr(aio, resource), name))
            assert not inspect.iscoroutinefunction(getattr(getattr(sync, resource), name))
            assert getattr(getattr(sync, resource), name).__doc__
    assert len([n for n in dir(sync.users) if not n.startswith("_")]) == 14
    assert len([n for n in dir(sync.sessions) if not n.startswith("_")]) == 6
    assert [n for n in dir(aio.sign_ins) if not n.startswith("_")] == [
        "sign_in_with_ticket",
        "sign_in_with_ticket_with_http_info",
    ]
    sync.close()
    await aio.aclose()


async def test_create_sign_in_token_and_its_twin(
    client: Any, api: httpx.Client, clock: ManualClock, server: Running
) -> None:
    """Create answers a typed SignInToken with its ticket, link and datetimes."""
    user = make_user(api)
    token = await run(
        client.sign_in_tokens.create_sign_in_token(CreateSignInTokenRequest(user_id=user["id"]))
    )
    assert isinstance(token, SignInToken)
    assert (token.status, token.user_id, token.object) == ("pending", user["id"], "sign_in_token")
    assert token.token is not None and token.token.startswith("tsit_")
    assert token.url == f"{server.base_url}/v1/tickets/accept?ticket={token.token}"
    assert token.created_at == token.updated_at == ms(clock.now)
    info = await run(
        client.sign_in_tokens.create_sign_in_token_with_http_info(
            {"user_id": user["id"], "expires_in_seconds": 60}
        )
    )
    assert assert_info(info, SignInToken).id != token.id


async def test_revoke_get_and_list_sign_in_tokens_and_their_twins(
    client: Any, api: httpx.Client, clock: ManualClock
) -> None:
    """Revoke, get and list answer the token's current state, without its ticket."""
    user_id = make_user(api)["id"]
    first = api.post("/v1/sign_in_tokens", json={"user_id": user_id}).json()["id"]
    clock.advance(1)
    second = api.post("/v1/sign_in_tokens", json={"user_id": user_id}).json()["id"]
    tokens = client.sign_in_tokens

    revoked = await run(tokens.revoke_sign_in_token(first))
    assert (revoked.id, revoked.status, revoked.token) == (first, "revoked", None)
    info = await run(tokens.revoke_sign_in_token_with_http_info(second))
    assert assert_info(info, SignInToken).status == "revoked"

    got = await run(tokens.get_sign_in_token(first))
    assert (got.id, got.status) == (first, "revoked")
    info = await run(tokens.get_sign_in_token_with_http_info(second))
    assert assert_info(info, SignInToken).updated_at == ms(clock.now)

    page = await run(tokens.get_sign_in_token_list(user_id=user_id, status="revoked"))
    assert isinstance(page, SignInTokenList)
    assert ([t.id for t in page.data], page.total_count) == ([second, first], 2)
    info = await run(tokens.get_sign_in_token_list_with_http_info(limit=1, offset=1))
    page = assert_info(info, SignInTokenList)
    assert ([t.id for t in page.data], page.total_count) == ([first], 2)


async def test_revoke_all_sign_in_tokens_of_a_user_and_its_twin(
    client: Any, api: httpx.Client
) -> None:
    """Revoking all of a user's tokens answers how many were pending."""
    user_id = make_user(api)["id"]
    for _ in range(2):
        api.post("/v1/sign_in_tokens", json={"user_id": user_id})
    done = await run(client.sign_in_tokens.revoke_user_sign_in_tokens(user_id))
    assert done == SignInTokenRevocation(user_id=user_id, revoked_count=2)
    info = await run(client.sign_in_tokens.revoke_user_sign_in_tokens_with_http_info(user_id))
    assert assert_info(info, SignInTokenRevocation).revoked_count == 0


async def test_create_get_and_list_users_and_their_twins(client: Any, clock: ManualClock) -> None:
    """Users come back typed, with their email addresses and metadata."""
    users = client.users
    ann = await run(
        users.create_user(
            CreateUserRequest(
                email_address=["Ann@Example.com"], first_name="Ann", public_metadata={"a": 1}
            )
        )
    )
    assert isinstance(ann, User)
    assert (ann.first_name, ann.public_metadata, ann.banned) == ("Ann", {"a": 1}, False)
    assert [e.email_address for e in ann.email_addresses] == ["ann@example.com"]
    assert ann.primary_email_address_id == ann.email_addresses[0].id
    assert ann.created_at == ms(clock.now) and ann.last_sign_in_at is None
    clock.advance(1)
    info = await run(users.create_user_with_http_info({"external_id": "ext-bob"}))
    bob = assert_info(info, User)

    assert (await run(users.get_user(ann.id))).email_addresses == ann.email_addresses
    assert assert_info(await run(users.get_user_with_http_info(bob.id)), User).id == bob.id

    listed = await run(users.get_user_list())
    assert [u.id for u in listed] == [bob.id, ann.id]
    data, status, _ = await run(users.get_user_list_with_http_info(external_id=["ext-bob"]))
    assert (status, [u.id for u in data]) == (200, [bob.id])
    by_email = await run(users.get_user_list(email_address=["ann@example.com"], limit=5))
    assert [u.id for u in by_email] == [ann.id]


async def test_update_delete_ban_and_unban_users_and_their_twins(
    client: Any, api: httpx.Client, clock: ManualClock
) -> None:
    """Update changes only the fields given; ban, unban and delete answer the new state."""
    users = client.users
    user_id = make_user(api, first_name="Ann", last_name="Lee")["id"]
    clock.advance(5)
    updated = await run(users.update_user(user_id, UpdateUserRequest(first_name="Anna")))
    assert (updated.first_name, updated.last_name) == ("Anna", "Lee")
    assert updated.updated_at - updated.created_at == timedelta(seconds=5)
    info = await run(users.update_user_with_http_info(user_id, UpdateUserRequest(last_name=None)))
    assert assert_info(info, User).last_name is None

    api.post("/v1/sign_in_tokens", json={"user_id": user_id})
    assert (await run(users.ban_user(user_id))).banned is True
    assert assert_info(await run(users.ban_user_with_http_info(user_id)), User).banned is True
    assert (await run(users.unban_user(user_id))).banned is False
    assert assert_info(await run(users.unban_user_with_http_info(user_id)), User).banned is False
    assert api.get("/v1/sign_in_tokens", params={"status": "revoked"}).json()["total_count"] == 1

    gone = await run(users.delete_user(user_id))
    assert gone == DeletedObject(id=user_id, deleted=True, object="user")
    other = make_user(api)["id"]
    info = await run(users.delete_user_with_http_info(other))
    assert assert_info(info, DeletedObject).deleted is True
    assert api.get(f"/v1/users/{other}").status_code == 404
