"""Create and revoke skip Starlette's middleware and router; they must answer exactly as the
router would, log alike, and turn a failure into the same Clerk-shaped 500."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from conftest import make_user
from servers import ManualClock, Running, free_port, serve_in_thread
from tessera.api.app import App, create_app
from tessera.api.hot import HotRoutes
from tessera.config import Settings
from tessera.store.tokens import Tokens

VOLATILE = {"id", "token", "url", "created_at", "updated_at"}


class RouterOnly:
    """The same app with every request, the hot ones too, taken by Starlette's stack."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await Starlette.__call__(self.app, scope, receive, send)


@pytest.fixture
def routed(server: Running, clock: ManualClock) -> Iterator[Running]:
    """A second server on the same database whose hot routes go through the router."""
    port = free_port()
    settings = Settings(
        database_url=server.database_url, public_url=server.settings.public_url, port=port
    )
    with serve_in_thread(settings, app=RouterOnly(create_app(settings, clock=clock))):
        yield Running(f"http://127.0.0.1:{port}", server.secret_key, server.database_url, settings)


def answer(response: httpx.Response) -> tuple[int, str | None, Any]:
    """Status, content type and body, with what differs between two creates blanked out."""
    body: Any = response.json() if response.content else None
    if isinstance(body, dict) and body.get("object") == "sign_in_token":
        body = {k: (type(v).__name__ if k in VOLATILE else v) for k, v in body.items()}
    return response.status_code, response.headers.get("content-type"), body


def requests_for(user_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    big = b'{"user_id": "' + b"x" * (1024 * 1024) + b'"}'
    json_type = {"content-type": "application/json"}
    text_type = {"content-type": "text/plain"}
    no_key, bad_key = {"authorization": ""}, {"authorization": "Bearer sk_test_nope"}
    return [
        ("POST", "/v1/sign_in_tokens", {"json": {"user_id": user_id}}),
        ("POST", "/v1/sign_in_tokens", {"json": {"user_id": user_id, "expires_in_seconds": None}}),
        ("POST", "/v1/sign_in_tokens", {"json": {"user_id": user_id, "org_id": "org_1"}}),
        ("POST", "/v1/sign_in_tokens", {"json": {"user_id": user_id, "expires_in_seconds": "60"}}),
        ("POST", "/v1/sign_in_tokens", {"json": {"user_id": "user_nope"}}),
        ("POST", "/v1/sign_in_tokens", {"json": [user_id]}),
        ("POST", "/v1/sign_in_tokens", {"content": b"{not json", "headers": json_type}),
        ("POST", "/v1/sign_in_tokens", {"content": b'{"a": 1}', "headers": text_type}),
        ("POST", "/v1/sign_in_tokens", {"content": big, "headers": json_type}),
        ("POST", "/v1/sign_in_tokens", {"json": {"user_id": user_id}, "headers": no_key}),
        ("POST", "/v1/sign_in_tokens", {"json": {"user_id": user_id}, "headers": bad_key}),
        ("POST", "/v1/sign_in_tokens/sit_" + "A" * 27 + "/revoke", {}),
        ("POST", "/v1/sign_in_tokens/%2E%2E%2F%2E%2E%2Fetc/revoke", {}),
        ("POST", "/v1/sign_in_tokens/%F0%9F%98%80/revoke", {}),
        ("POST", "/v1/sign_in_tokens/'%20OR%201=1%20--/revoke", {}),
        ("POST", "/v1/sign_in_tokens/sit_x/revoke", {"content": b"[]", "headers": json_type}),
        ("POST", "/v1/sign_in_tokens//revoke", {}),
        ("POST", "/v1/sign_in_tokens/a/b/revoke", {}),
        ("GET", "/v1/sign_in_tokens/sit_x/revoke", {}),
        ("PUT", "/v1/sign_in_tokens", {}),
    ]


def test_every_hot_request_is_answered_as_the_router_answers_it(
    server: Running, routed: Running
) -> None:
    """Successes, every kind of bad input, odd paths and wrong methods: the same status,
    content type and body (ids, tickets and times aside) from both ways in."""
    with server.client() as hot, routed.client() as slow:
        user_id = make_user(hot)["id"]
        for method, path, options in requests_for(user_id):
            assert answer(hot.request(method, path, **options)) == answer(
                slow.request(method, path, **options)
            ), (method, path)


def test_revoking_twice_and_replaying_an_idempotent_create_match_too(
    server: Running, routed: Running
) -> None:
    """The stateful cases: revoke, revoke again (400), and an Idempotency-Key replay."""
    seen = []
    with server.client() as hot, routed.client() as slow:
        user_id = make_user(hot)["id"]
        for client, idempotency_key in ((hot, "k-hot"), (slow, "k-slow")):
            created = client.post("/v1/sign_in_tokens", json={"user_id": user_id})
            revoke = f"/v1/sign_in_tokens/{created.json()['id']}/revoke"
            first, again = client.post(revoke), client.post(revoke)
            headers = {"Idempotency-Key": idempotency_key}
            one = client.post("/v1/sign_in_tokens", json={"user_id": user_id}, headers=headers)
            two = client.post("/v1/sign_in_tokens", json={"user_id": user_id}, headers=headers)
            assert two.json() == one.json()
            assert "idempotent-replayed" not in one.headers
            seen.append((answer(first), answer(again), two.headers["idempotent-replayed"]))
    assert seen[0] == seen[1]
    (status, _, body), (again_status, _, again_body), _ = seen[0]
    assert (status, body["status"]) == (200, "revoked")
    assert (again_status, again_body["errors"][0]["code"]) == (
        400,
        "sign_in_token_cannot_be_revoked_code",
    )


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tessera.access"]


def test_hot_requests_are_in_the_access_log_without_query_strings(
    server: Running, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """One line per request, as for every other route: method, path, status, time."""
    user_id = make_user(api)["id"]
    with caplog.at_level(logging.INFO, logger="tessera.access"):
        created = api.post("/v1/sign_in_tokens?secret=1", json={"user_id": user_id}).json()
        api.post(f"/v1/sign_in_tokens/{created['id']}/revoke")
        deadline = time.monotonic() + 5  # a line is written just after its response is sent
        while len(access_lines(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = access_lines(caplog)
    assert lines[0].startswith("POST /v1/sign_in_tokens 200 ")
    assert lines[1].startswith(f"POST /v1/sign_in_tokens/{created['id']}/revoke 200 ")
    assert not any("secret" in line for line in lines)


def test_a_failure_in_a_hot_route_is_a_clerk_500_logged_with_its_trace(
    server: Running,
    api: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No exception text on the wire, the generic Clerk 500 body, the trace in the log."""

    async def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    user_id = make_user(api)["id"]
    created = api.post("/v1/sign_in_tokens", json={"user_id": user_id}).json()
    revoke = f"/v1/sign_in_tokens/{created['id']}/revoke"
    monkeypatch.setattr(Tokens, "insert", fail)
    monkeypatch.setattr(Tokens, "revoke", fail)
    with caplog.at_level(logging.ERROR, logger="tessera.api"):
        responses = [api.post("/v1/sign_in_tokens", json={"user_id": user_id}), api.post(revoke)]
    for response in responses:
        assert response.status_code == 500
        assert response.json() == {
            "errors": [
                {
                    "message": "something went wrong",
                    "long_message": "Something went wrong on the server.",
                    "code": "internal_clerk_error",
                }
            ]
        }
        assert "fire" not in response.text
    failures = [r for r in caplog.records if r.name == "tessera.api"]
    assert [r.getMessage() for r in failures] == [
        "unexpected error on POST /v1/sign_in_tokens",
        f"unexpected error on POST {revoke}",
    ]
    assert all(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in failures)
    monkeypatch.undo()
    assert api.get(f"/v1/sign_in_tokens/{created['id']}").json()["status"] == "pending"


@pytest.mark.parametrize(
    ("method", "path", "hot"),
    [
        ("POST", "/v1/sign_in_tokens", True),
        ("POST", "/v1/sign_in_tokens/sit_abc/revoke", True),
        ("POST", "/v1/sign_in_tokens/../revoke", True),  # an id like any other: 404 from the store
        ("GET", "/v1/sign_in_tokens", False),
        ("POST", "/v1/sign_in_tokens/", False),
        ("POST", "/v1/sign_in_tokens//revoke", False),
        ("POST", "/v1/sign_in_tokens/a/b/revoke", False),
        ("POST", "/v1/sign_in_tokens/sit_abc/revoke/", False),
        ("POST", "/v1/users/user_abc/sign_in_tokens/revoke", False),
        ("POST", "/v1/sign_in_tokens/sit_abc", False),
    ],
)
def test_only_the_two_hot_routes_skip_the_router(method: str, path: str, hot: bool) -> None:
    """Exactly create and revoke (one path segment for the id) are taken early."""
    routes = HotRoutes(create_app(Settings()).routes)
    scope = {"type": "http", "method": method, "path": path}
    assert (routes.endpoint(scope) is not None) is hot
    if hot and path.endswith("/revoke"):
        assert scope["path_params"] == {"sign_in_token_id": path.split("/")[3]}
