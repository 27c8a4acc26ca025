"""Idempotency-Key on creates, over raw HTTP: the first response again for a retry, 409 for a
key reused with another request, nothing kept in clear, one winner among concurrent requests."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from conftest import make_user
from servers import ManualClock, Running
from snapshot import snapshot
from tessera.store.sqlite import path_from_url


def create(api: httpx.Client, body: dict[str, object], key: str | None) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return api.post("/v1/sign_in_tokens", json=body, headers=headers)


def token_count(api: httpx.Client, user_id: str) -> int:
    count: int = api.get("/v1/sign_in_tokens", params={"user_id": user_id}).json()["total_count"]
    return count


def rows(server: Running) -> list[tuple[object, ...]]:
    return snapshot(server.database_url)["idempotency_keys"]


def test_the_same_key_and_body_get_the_first_response_again(api: httpx.Client) -> None:
    """A retry gets the first status and body byte for byte, marked replayed; one token."""
    user_id = make_user(api)["id"]
    first = create(api, {"user_id": user_id, "expires_in_seconds": 60}, "k-1")
    again = create(api, {"expires_in_seconds": 60, "user_id": user_id}, "k-1")  # key order aside
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert token_count(api, user_id) == 1


def test_the_same_key_with_another_body_is_a_409_and_changes_nothing(api: httpx.Client) -> None:
    """Another body, or another create route, with a used key: 409 in Clerk's error shape."""
    user_id = make_user(api)["id"]
    create(api, {"user_id": user_id}, "k-2")
    reused = create(api, {"user_id": user_id, "expires_in_seconds": 60}, "k-2")
    assert reused.status_code == 409
    assert reused.json() == {
        "errors": [
            {
                "message": "Idempotency-Key reused",
                "long_message": "This Idempotency-Key was used in the last 24 hours for a "
                "different request. Send a new key with each new request, and the same key "
                "only with its retries.",
                "code": "idempotency_key_reused",
                "meta": {"header_name": "Idempotency-Key"},
            }
        ]
    }
    other_route = api.post(
        "/v1/users", json={"user_id": user_id}, headers={"Idempotency-Key": "k-2"}
    )
    assert other_route.status_code == 409
    assert token_count(api, user_id) == 1
    assert len(api.get("/v1/users").json()) == 1


def test_without_a_key_every_create_makes_a_token(api: httpx.Client) -> None:
    """No header, no idempotency: two identical creates make two tokens."""
    user_id = make_user(api)["id"]
    create(api, {"user_id": user_id}, None)
    create(api, {"user_id": user_id}, None)
    assert token_count(api, user_id) == 2


def test_a_key_is_forgotten_after_24_hours(api: httpx.Client, clock: ManualClock) -> None:
    """Just before 24 h the first response comes back; after, the key makes a new token."""
    user_id = make_user(api)["id"]
    first = create(api, {"user_id": user_id}, "k-3")
    clock.advance(24 * 3600 - 1)
    assert create(api, {"user_id": user_id}, "k-3").content == first.content
    clock.advance(2)
    later = create(api, {"user_id": user_id}, "k-3")
    assert later.json()["id"] != first.json()["id"]
    assert token_count(api, user_id) == 2


def test_a_failed_create_keeps_nothing(api: httpx.Client, server: Running) -> None:
    """A create that fails (unknown user) frees its key: no record, and a retry runs afresh."""
    body = {"user_id": "user_2bN9bJtI0oA2b3S1tHnVhQ4Xyzq"}
    assert create(api, body, "k-4").status_code == 404
    assert rows(server) == []
    assert create(api, body, "k-4").status_code == 404


def test_the_database_holds_neither_the_key_nor_the_ticket(
    api: httpx.Client, server: Running
) -> None:
    """Only the key's SHA-256 and the sealed response are stored: no ticket in any row or file."""
    user_id = make_user(api)["id"]
    key = "a-key-only-the-caller-knows-0123456789"
    ticket = create(api, {"user_id": user_id}, key).json()["token"]
    ((_instance_id, key_hash, fingerprint, status, sealed, _created),) = rows(server)
    assert key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert status == 200 and len(fingerprint) == 64
    assert ticket not in sealed and ticket.encode().hex() not in sealed
    stored = repr(snapshot(server.database_url))
    assert ticket not in stored and key not in stored
    if not server.database_url.startswith("sqlite:///"):
        return  # PostgreSQL's files are the server's; every row was read above
    database = Path(path_from_url(server.database_url))
    for path in database.parent.glob(database.name + "*"):
        content = path.read_bytes()
        assert ticket.encode() not in content and key.encode() not in content


def test_concurrent_requests_with_one_key_make_one_token(api: httpx.Client) -> None:
    """Of many simultaneous creates with one key, one runs; the others replay or are told
    to retry (409 with Retry-After)."""
    user_id = make_user(api)["id"]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: create(api, {"user_id": user_id}, "k-5"), range(8)))
    ids = {r.json()["id"] for r in responses if r.status_code == 200}
    waits = [r for r in responses if r.status_code == 409]
    assert len(ids) == 1
    assert all(
        r.headers["retry-after"] == "1"
        and r.json()["errors"][0]["code"] == "idempotency_request_in_progress"
        for r in waits
    )
    assert token_count(api, user_id) == 1


def test_a_malformed_key_is_a_422_naming_the_header(api: httpx.Client) -> None:
    """A key longer than 255 characters or with spaces is refused before anything is done."""
    user_id = make_user(api)["id"]
    for key in ("x" * 256, "has space"):
        response = create(api, {"user_id": user_id}, key)
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["code"], error["meta"]) == (
            "form_param_value_invalid",
            {"param_name": "Idempotency-Key"},
        )
    assert token_count(api, user_id) == 0


def test_user_creates_are_idempotent_too(api: httpx.Client) -> None:
    """POST /v1/users with a repeated key answers the same user and makes one."""
    first = api.post("/v1/users", json={"first_name": "Ann"}, headers={"Idempotency-Key": "u-1"})
    again = api.post("/v1/users", json={"first_name": "Ann"}, headers={"Idempotency-Key": "u-1"})
    assert again.content == first.content
    assert len(api.get("/v1/users").json()) == 1


def test_a_key_is_scoped_to_its_instance_and_needs_authentication(server: Running) -> None:
    """Without a valid secret key the header is never looked at: 401, and no record."""
    with server.client("sk_test_wrong") as stranger:
        response = stranger.post(
            "/v1/sign_in_tokens", json={"user_id": "x"}, headers={"Idempotency-Key": "k-6"}
        )
    assert response.status_code == 401
    assert rows(server) == []
