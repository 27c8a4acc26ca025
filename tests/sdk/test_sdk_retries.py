"""Retries: a create whose response is lost is retried with its Idempotency-Key and makes one
token; Retry-After is honoured; only calls safe to repeat are retried after a failure that
may have reached the server; retries can be switched off."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from conftest import make_user
from sdk_helpers import Seen, clerk_error, close, http_server, lossy_proxy, make_client, run
from servers import Running
from tessera import ApiConnectionError, RateLimitError, Retries, ServerError

KINDS = ["sync", "async"]
FAST = Retries(max_retries=2, initial_delay=0.01, max_delay=0.02)
TOKEN = {
    "object": "sign_in_token", "id": "sit_1", "status": "pending", "user_id": "user_1",
    "created_at": 1795827319872, "updated_at": 1795827319872, "new_field": "ignored",
}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
async def test_a_create_whose_response_is_lost_is_retried_and_makes_one_token(
    kind: str, server: Running, api: httpx.Client
) -> None:
    """The server commits, the response is lost; the retry with the same Idempotency-Key gets
    the first response again, and the user has exactly one token."""
    user_id = make_user(api)["id"]
    with lossy_proxy(server.base_url, lose=1) as proxy:
        sdk = make_client(kind, server.secret_key, proxy.url, retries=FAST)
        token, status, headers = await run(
            sdk.sign_in_tokens.create_sign_in_token_with_http_info({"user_id": user_id})
        )
        await close(sdk)
    first, second = proxy.seen
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.body == second.body
    assert (status, headers["idempotent-replayed"]) == (200, "true")
    page = api.get("/v1/sign_in_tokens", params={"user_id": user_id}).json()
    assert [t["id"] for t in page["data"]] == [token.id]
    assert token.token is not None and token.token.startswith("tsit_")


@pytest.mark.parametrize("kind", KINDS)
async def test_without_retries_a_lost_response_is_a_connection_error(
    kind: str, server: Running, api: httpx.Client
) -> None:
    """With retries=None the first failure is raised: one request was sent, no retry."""
    user_id = make_user(api)["id"]
    with lossy_proxy(server.base_url, lose=1) as proxy:
        sdk = make_client(kind, server.secret_key, proxy.url, retries=None)
        with pytest.raises(ApiConnectionError):
            await run(sdk.sign_in_tokens.create_sign_in_token({"user_id": user_id}))
        await close(sdk)
    assert len(proxy.seen) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_a_429_is_retried_after_the_retry_after_the_server_asked_for(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """429 with Retry-After: 1 then 200: the client waits the second asked, then succeeds."""
    replies = [clerk_error(429, "too_many_requests", "Slow down.", **{"Retry-After": "1"})]

    def handle(seen: Seen) -> Any:
        if replies:
            return replies.pop()
        return 200, {"Content-Type": "application/json"}, json.dumps(TOKEN).encode()

    caplog.set_level(logging.INFO, logger="tessera.sdk")
    with http_server(handle) as stub:
        sdk = make_client(kind, "sk_test_x", stub.url, retries=Retries(initial_delay=0.01))
        token = await run(sdk.sign_in_tokens.get_sign_in_token("sit_1"))
        await close(sdk)
    assert token.id == "sit_1"
    first, second = stub.seen
    assert second.at - first.at >= 1.0  # time.sleep / asyncio.sleep wait at least that long
    assert "retrying GET /v1/sign_in_tokens/sit_1 in 1.00 s (retry 1 of 3) after HTTP 429" in (
        caplog.text
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_a_retry_after_beyond_the_limit_is_raised_not_waited(kind: str) -> None:
    """A Retry-After longer than max_retry_after raises RateLimitError at once."""

    def handle(seen: Seen) -> Any:
        return clerk_error(429, "too_many_requests", "Slow down.", **{"Retry-After": "3600"})

    with http_server(handle) as stub:
        sdk = make_client(kind, "sk_test_x", stub.url)
        with pytest.raises(RateLimitError) as raised:
            await run(sdk.users.get_user_list())
        await close(sdk)
    assert raised.value.retry_after == 3600.0
    assert len(stub.seen) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_5xx_is_retried_for_a_get_but_not_for_a_revoke(kind: str) -> None:
    """A 503 may follow work done: a GET is retried (up to max_retries), a revoke is not."""

    def handle(seen: Seen) -> Any:
        return clerk_error(503, "unavailable", "Try later.")

    with http_server(handle) as stub:
        sdk = make_client(kind, "sk_test_x", stub.url, retries=FAST)
        with pytest.raises(ServerError):
            await run(sdk.sign_in_tokens.get_sign_in_token("sit_1"))
        assert len(stub.seen) == 3
        with pytest.raises(ServerError):
            await run(sdk.sign_in_tokens.revoke_sign_in_token("sit_1"))
        assert len(stub.seen) == 4
        await close(sdk)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    """Each wait lies between half and all of min(max_delay, initial_delay * 2**n)."""
    retries = Retries(initial_delay=0.5, max_delay=4.0)
    for attempt, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        waits = {retries.backoff(attempt) for _ in range(50)}
        assert all(cap / 2 <= w <= cap for w in waits)
        assert len(waits) > 1
