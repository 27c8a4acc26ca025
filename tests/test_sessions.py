"""Sessions through the Backend API (raw and with Clerk's official SDK), and signing keys."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import clerk_backend_api
import httpx
import jwt

from redeeming import error_code, new_token, session_jwt, sign_in, verify
from servers import ManualClock, Running
from tessera import signing
from tessera.models import SigningAlgorithm
from tessera.store import open_store


def redeemed(server: Running, api: httpx.Client, user_id: str | None = None) -> httpx.Response:
    response = sign_in(server.base_url, new_token(api, user_id)["token"])
    assert response.status_code == 200, response.text
    return response


def session_id_of(response: httpx.Response) -> str:
    sid: str = response.json()["response"]["created_session_id"]
    return sid


def test_the_sdk_reads_a_session_in_its_own_model(
    server: Running, api: httpx.Client, clerk: clerk_backend_api.Clerk
) -> None:
    """sessions.get and sessions.list parse Tessera's sessions into the SDK's Session."""
    response = redeemed(server, api)
    sid = session_id_of(response)
    session = clerk.sessions.get(session_id=sid)
    assert session.id == sid
    assert session.status == "active"
    assert session.client_id == response.json()["client"]["id"]
    assert session.latest_activity is not None
    assert session.latest_activity.ip_address == "127.0.0.1"
    listed = clerk.sessions.list(user_id=session.user_id, status="active")
    assert [s.id for s in listed] == [sid]


def test_a_revoked_session_reads_revoked_and_cannot_be_revoked_again(
    server: Running, api: httpx.Client, clerk: clerk_backend_api.Clerk
) -> None:
    """revoke answers the revoked session; a read says revoked; a second revoke is a 400."""
    sid = session_id_of(redeemed(server, api))
    assert clerk.sessions.revoke(session_id=sid).status == "revoked"
    assert clerk.sessions.get(session_id=sid).status == "revoked"
    again = api.post(f"/v1/sessions/{sid}/revoke")
    assert (again.status_code, error_code(again)) == (400, "session_cannot_be_revoked_code")


def test_unknown_and_malformed_session_ids_are_404(server: Running, api: httpx.Client) -> None:
    """A session id that names nothing answers 404 resource_not_found."""
    for sid in ("sess_" + "0" * 27, "nope", "user_" + "0" * 27):
        for response in (api.get(f"/v1/sessions/{sid}"), api.post(f"/v1/sessions/{sid}/revoke")):
            assert (response.status_code, error_code(response)) == (404, "resource_not_found")


def test_banning_a_user_revokes_their_sessions(
    server: Running, api: httpx.Client, clerk: clerk_backend_api.Clerk
) -> None:
    """After a ban every session of the user reads revoked; other users' stay active."""
    first = redeemed(server, api)
    user_id = first.json()["client"]["sessions"][0]["public_user_data"]["user_id"]
    second = redeemed(server, api, user_id)
    bystander = redeemed(server, api)
    assert api.post(f"/v1/users/{user_id}/ban").status_code == 200
    for response in (first, second):
        assert clerk.sessions.get(session_id=session_id_of(response)).status == "revoked"
    assert clerk.sessions.get(session_id=session_id_of(bystander)).status == "active"


def test_deleting_a_user_revokes_their_sessions(server: Running, api: httpx.Client) -> None:
    """A deleted user's sessions read revoked."""
    response = redeemed(server, api)
    user_id = response.json()["client"]["sessions"][0]["public_user_data"]["user_id"]
    assert api.delete(f"/v1/users/{user_id}").status_code == 200
    got = api.get(f"/v1/sessions/{session_id_of(response)}").json()
    assert got["status"] == "revoked"


def test_a_session_past_its_expiry_reads_expired(
    server: Running, api: httpx.Client, clock: ManualClock
) -> None:
    """Past expire_at a session reads (and filters as) expired and cannot be revoked."""
    sid = session_id_of(redeemed(server, api))
    session = api.get(f"/v1/sessions/{sid}").json()
    assert session["expire_at"] - session["created_at"] == 7 * 86400 * 1000
    clock.advance(7 * 86400)
    assert api.get(f"/v1/sessions/{sid}").json()["status"] == "expired"
    user = session["user_id"]
    assert api.get("/v1/sessions", params={"user_id": user, "status": "active"}).json() == []
    expired = api.get("/v1/sessions", params={"user_id": user, "status": "expired"}).json()
    assert [s["id"] for s in expired] == [sid]
    assert api.post(f"/v1/sessions/{sid}/revoke").status_code == 400


def test_an_unknown_status_filter_is_422(server: Running, api: httpx.Client) -> None:
    """Only Clerk's session statuses may be filtered by."""
    response = api.get("/v1/sessions", params={"status": "sleepy"})
    assert (response.status_code, error_code(response)) == (422, "form_param_value_invalid")
    assert api.get("/v1/sessions", params={"status": "abandoned"}).json() == []


def test_after_rotation_both_keys_are_published_and_both_tokens_verify(
    server: Running, api: httpx.Client, clock: ManualClock
) -> None:
    """The old key stays in the JWKS beside the new one; tokens of either verify."""
    old_token = session_jwt(redeemed(server, api))
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    new_kid = rotate_at(server, clock)
    new_token_ = session_jwt(redeemed(server, api))
    assert jwt.get_unverified_header(new_token_)["kid"] == new_kid != old_kid
    kids = [k["kid"] for k in httpx.get(server.base_url + "/.well-known/jwks.json").json()["keys"]]
    assert kids == [new_kid, old_kid]
    assert verify(server.base_url, old_token)["sid"] != verify(server.base_url, new_token_)["sid"]


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(
    server: Running, api: httpx.Client, clock: ManualClock
) -> None:
    """Published until rotation time + the session lifetime (the latest a token it signed can
    expire), and not a moment longer."""

    def kids() -> list[str]:
        return [k["kid"] for k in httpx.get(server.base_url + "/v1/jwks").json()["keys"]]

    old_kid = jwt.get_unverified_header(session_jwt(redeemed(server, api)))["kid"]
    clock.advance(3600)
    rotated_at = clock.now
    rotate_at(server, clock)
    clock.now = rotated_at + timedelta(days=7) - timedelta(milliseconds=1)
    assert old_kid in kids()
    clock.advance(0.001)
    assert old_kid not in kids()


def test_eddsa_is_selectable(server: Running, api: httpx.Client, clock: ManualClock) -> None:
    """Rotating to EdDSA signs new sessions with an Ed25519 key published as an OKP JWK."""
    kid = rotate_at(server, clock, algorithm="EdDSA")
    token = session_jwt(redeemed(server, api))
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": kid, "typ": "JWT"}
    published = httpx.get(server.base_url + "/v1/jwks").json()["keys"][0]
    assert published["kty"] == "OKP" and published["crv"] == "Ed25519"
    assert verify(server.base_url, token)["iss"].startswith(server.base_url + "/instances/ins_")


def rotate_at(
    server: Running, clock: ManualClock, algorithm: SigningAlgorithm | None = None
) -> str:
    """``signing.rotate`` on the server's database at the test clock's now; the new kid."""

    async def run() -> str:
        store = await open_store(server.database_url)
        try:
            instance = await store.instances.first()
            assert instance is not None
            key = await signing.rotate(store, instance.id, now=clock.now, algorithm=algorithm)
            return key.id
        finally:
            await store.close()

    return asyncio.run(run())
