"""Each ApiError class, raised from a real response: Tessera's where it gives that status, a
small real HTTP server on 127.0.0.1 for the statuses Tessera never sends (403, 429, 5xx)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import tessera
from conftest import make_user
from sdk_helpers import Seen, clerk_error, close, http_server, make_client, run
from servers import Running, free_port
from tessera import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CreateSignInTokenRequest,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)

KINDS = ["sync", "async"]


@pytest.fixture(params=KINDS)
async def client(request: pytest.FixtureRequest, server: Running) -> AsyncIterator[Any]:
    sdk = make_client(request.param, server.secret_key, server.api_url)
    yield sdk
    await close(sdk)


async def test_revoking_twice_raises_bad_request_with_clerk_details(
    client: Any, api: httpx.Client
) -> None:
    """400: BadRequestError carrying the status, the parsed errors, the headers and the body."""
    user_id = make_user(api)["id"]
    token_id = api.post("/v1/sign_in_tokens", json={"user_id": user_id}).json()["id"]
    await run(client.sign_in_tokens.revoke_sign_in_token(token_id))
    with pytest.raises(BadRequestError) as raised:
        await run(client.sign_in_tokens.revoke_sign_in_token(token_id))
    error = raised.value
    assert error.code == 400
    assert error.errors[0].code == "sign_in_token_cannot_be_revoked_code"
    assert error.errors[0].message == "cannot revoke"
    assert "its status is revoked" in error.errors[0].long_message
    assert error.response_headers["content-type"] == "application/json"
    assert '"sign_in_token_cannot_be_revoked_code"' in (error.response_body or "")
    assert str(error).startswith("The request cannot be done as asked (400 on POST http://")


async def test_an_unknown_secret_key_raises_authentication_error(server: Running) -> None:
    """401: AuthenticationError with Clerk's code, for a well-formed key nobody registered."""
    from tessera.keys import new_secret_key

    for kind in KINDS:
        sdk = make_client(kind, new_secret_key(), server.api_url)
        with pytest.raises(AuthenticationError) as raised:
            await run(sdk.users.get_user_list())
        await close(sdk)
        assert raised.value.code == 401
        assert raised.value.errors[0].code == "clerk_key_invalid"


async def test_an_unknown_id_raises_not_found(client: Any) -> None:
    """404: NotFoundError, for a token or user that does not exist."""
    with pytest.raises(NotFoundError) as raised:
        await run(client.sign_in_tokens.get_sign_in_token("sit_missing"))
    assert (raised.value.code, raised.value.errors[0].code) == (404, "resource_not_found")
    with pytest.raises(NotFoundError):
        await run(client.users.ban_user("user_missing"))


async def test_a_missing_parameter_raises_unprocessable_entity(client: Any) -> None:
    """422: UnprocessableEntityError naming the parameter in ``meta``."""
    with pytest.raises(UnprocessableEntityError) as raised:
        await run(client.sign_in_tokens.create_sign_in_token({}))
    detail = raised.value.errors[0]
    assert (raised.value.code, detail.code) == (422, "form_param_missing")
    assert detail.meta == {"param_name": "user_id"}


async def test_an_idempotency_key_reused_for_another_body_raises_conflict(
    client: Any, api: httpx.Client
) -> None:
    """409: ConflictError when one Idempotency-Key is sent with two different requests."""
    user_id = make_user(api)["id"]
    create = client.sign_in_tokens.create_sign_in_token
    await run(create(CreateSignInTokenRequest(user_id=user_id), idempotency_key="key-1"))
    with pytest.raises(ConflictError) as raised:
        await run(
            create(
                CreateSignInTokenRequest(user_id=user_id, expires_in_seconds=60),
                idempotency_key="key-1",
            )
        )
    assert (raised.value.code, raised.value.errors[0].code) == (409, "idempotency_key_reused")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("status", "cls"),
    [(403, PermissionDeniedError), (429, RateLimitError), (500, ServerError), (503, ServerError),
     (418, ApiError)],
)  # fmt: skip
async def test_statuses_tessera_never_sends_raise_their_class(
    kind: str, status: int, cls: type[ApiError]
) -> None:
    """403, 429, 5xx and an unlisted status each raise their class, with the trace id."""

    def handle(seen: Seen) -> Any:
        return clerk_error(status, "some_code", "What went wrong.", **{"Retry-After": "7"})

    with http_server(handle) as stub:
        sdk = make_client(kind, "sk_test_stub", stub.url, retries=None)
        with pytest.raises(ApiError) as raised:
            await run(sdk.users.get_user("user_1"))
        await close(sdk)
    assert type(raised.value) is cls
    assert raised.value.code == status
    assert raised.value.clerk_trace_id == "trace_123"
    assert raised.value.errors[0].long_message == "What went wrong."
    assert str(raised.value).endswith("/v1/users/user_1): What went wrong.")
    if cls is RateLimitError:
        assert raised.value.retry_after == 7.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", KINDS)
async def test_nothing_listening_raises_a_connection_error(kind: str) -> None:
    """No server at base_url: ApiConnectionError saying what to check, with no status."""
    sdk = make_client(kind, "sk_test_x", f"http://127.0.0.1:{free_port()}/v1", retries=None)
    with pytest.raises(ApiConnectionError) as raised:
        await run(sdk.users.get_user_list())
    await close(sdk)
    assert type(raised.value) is ApiConnectionError
    assert raised.value.code == 0
    assert "Is the server running, and is base_url right?" in str(raised.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_server_that_does_not_answer_in_time_raises_a_timeout(kind: str) -> None:
    """A response slower than the timeout: ApiTimeoutError, also an ApiConnectionError."""
    release = threading.Event()

    def handle(seen: Seen) -> Any:
        release.wait(30)
        return clerk_error(500, "late", "Too late.")

    with http_server(handle) as stub:
        sdk = make_client(kind, "sk_test_x", stub.url, timeout=0.2, retries=None)
        try:
            with pytest.raises(ApiTimeoutError) as raised:
                await run(sdk.users.get_user_list())
        finally:
            release.set()
            await close(sdk)
    assert isinstance(raised.value, ApiConnectionError)
    assert "within the timeout (0.2 s)" in str(raised.value)


def test_error_classes_are_api_errors_with_docstrings() -> None:
    """Every error class is an ApiError, documented."""
    for name in tessera.__all__:
        value = getattr(tessera, name)
        if isinstance(value, type) and name.endswith("Error"):
            assert issubclass(value, ApiError) and value.__doc__
