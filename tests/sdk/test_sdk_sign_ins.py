"""``sign_ins.sign_in_with_ticket`` and its twin, on both clients, against a real server: a
ticket becomes a session whose token verifies against the JWKS; a refused ticket raises the
ApiError subclass that its status means, with Clerk's code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from redeeming import new_token, running, verify
from sdk_helpers import Seen, close, forward, http_server, make_client, run
from servers import ManualClock, Running
from tessera import (
    BadRequestError,
    ClientSession,
    RateLimitError,
    SignInResult,
    UnprocessableEntityError,
)
from tessera.keys import new_secret_key

KINDS = ["sync", "async"]


@pytest.fixture(params=KINDS)
async def client(request: pytest.FixtureRequest, server: Running) -> AsyncIterator[Any]:
    """A Client or an AsyncClient for the real server."""
    sdk = make_client(request.param, server.secret_key, server.api_url)
    yield sdk
    await close(sdk)


async def refused(client: Any, ticket: str) -> BadRequestError:
    with pytest.raises(BadRequestError) as raised:
        await run(client.sign_ins.sign_in_with_ticket(ticket))
    assert raised.value.code == 400
    return raised.value


async def test_sign_in_with_ticket_answers_the_session_and_a_token_that_verifies(
    client: Any, api: httpx.Client, server: Running
) -> None:
    """The result is a typed SignInResult: complete, with the new session's id and a JWT whose
    claims (checked with PyJWT against the JWKS) name the user and that session."""
    token = new_token(api)
    result = await run(client.sign_ins.sign_in_with_ticket(token["token"]))
    assert isinstance(result, SignInResult)
    assert (result.response.status, result.response.object) == ("complete", "sign_in_attempt")
    assert result.session_id is not None and result.session_id.startswith("sess_")
    assert isinstance(result.session, ClientSession)
    assert result.session.status == "active"
    assert result.session.public_user_data["user_id"] == token["user_id"]
    assert result.client.last_active_session_id == result.session_id
    assert result.session_token == result.client.sessions[0].last_active_token.jwt
    assert result.session.expire_at > result.session.last_active_at
    claims = verify(server.base_url, result.session_token)
    assert (claims["sub"], claims["sid"]) == (token["user_id"], result.session_id)
    assert result.session_token not in repr(result)


async def test_the_twin_answers_the_result_status_and_headers(
    client: Any, api: httpx.Client
) -> None:
    """``sign_in_with_ticket_with_http_info`` answers (SignInResult, 200, headers)."""
    token = new_token(api)
    data, status, headers = await run(
        client.sign_ins.sign_in_with_ticket_with_http_info(token["token"])
    )
    assert isinstance(data, SignInResult) and status == 200
    assert headers["content-type"] == "application/json"
    assert data.session_token and data.session_id
    gone = await refused(client, token["token"])
    assert gone.errors[0].code == "sign_in_token_already_used_code"


async def test_the_secret_key_is_neither_needed_nor_sent(
    server: Running, api: httpx.Client
) -> None:
    """A client with a key nobody registered still signs in, and the request carries no
    Authorization header (seen by a relay in front of the server)."""
    relayed: list[Seen] = []

    def relay(seen: Seen) -> Any:
        relayed.append(seen)
        return forward(server.base_url, seen)

    with http_server(relay) as proxy:
        for kind in KINDS:
            sdk = make_client(kind, new_secret_key(), proxy.url, retries=None)
            result = await run(sdk.sign_ins.sign_in_with_ticket(new_token(api)["token"]))
            await close(sdk)
            assert result.session_token
    assert [(s.method, s.path) for s in relayed] == [("POST", "/v1/client/sign_ins")] * 2
    assert all("authorization" not in s.headers for s in relayed)


async def test_each_unusable_ticket_raises_bad_request_with_its_code(
    client: Any, api: httpx.Client, clock: ManualClock
) -> None:
    """Used, revoked, expired, malformed, unknown and banned-user tickets are 400s, each with
    the contract's code in ``errors[0].code``."""
    used = new_token(api)["token"]
    await run(client.sign_ins.sign_in_with_ticket(used))
    assert (await refused(client, used)).errors[0].code == "sign_in_token_already_used_code"

    revoked = new_token(api)
    assert api.post(f"/v1/sign_in_tokens/{revoked['id']}/revoke").status_code == 200
    error = await refused(client, revoked["token"])
    assert error.errors[0].code == "sign_in_token_revoked_code"

    expiring = new_token(api, expires_in_seconds=60)["token"]
    clock.advance(61)
    assert (await refused(client, expiring)).errors[0].code == "ticket_expired_code"

    for bad in ("tsit_nonsense", used[:-1] + ("A" if used[-1] != "A" else "B")):
        assert (await refused(client, bad)).errors[0].code == "ticket_invalid_code"

    banned = new_token(api)
    assert api.post(f"/v1/users/{banned['user_id']}/ban").status_code == 200
    # Banning also revoked the token; the refusal names the user, which says more.
    error = await refused(client, banned["token"])
    assert error.errors[0].code == "sign_in_token_cannot_be_used_code"


async def test_an_empty_ticket_is_unprocessable(client: Any) -> None:
    """An empty ticket is a 422 naming the ``ticket`` parameter, as the server's form rules."""
    with pytest.raises(UnprocessableEntityError) as raised:
        await run(client.sign_ins.sign_in_with_ticket(""))
    assert raised.value.errors[0].meta == {"param_name": "ticket"}


@pytest.mark.parametrize("kind", KINDS)
def test_too_many_failures_raise_rate_limit_error(
    kind: str, database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """After the address's failures run out, the next sign-in raises RateLimitError with the
    server's Retry-After (longer than the SDK's retries wait for, so raised at once)."""

    async def three_failures(api_url: str) -> RateLimitError:
        sdk = make_client(kind, secret_key, api_url)
        try:
            for _ in range(2):
                with pytest.raises(BadRequestError):
                    await run(sdk.sign_ins.sign_in_with_ticket("tsit_wrong"))
            with pytest.raises(RateLimitError) as raised:
                await run(sdk.sign_ins.sign_in_with_ticket("tsit_wrong"))
            return raised.value
        finally:
            await close(sdk)

    # Windows are fixed (multiples of 600 s since the epoch): start one, so that Retry-After
    # is the whole window. Not an async test: starting a server uses asyncio.run.
    clock.now = datetime.fromtimestamp(clock.now.timestamp() // 600 * 600 + 600, UTC)
    with running(
        database_url, secret_key, clock, redeem_rate_limit=2, redeem_rate_window=600
    ) as server:
        error = asyncio.run(three_failures(server.api_url))
    assert error.code == 429
    assert error.errors[0].code == "too_many_requests"
    assert error.retry_after == 600
