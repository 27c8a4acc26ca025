"""POST /v1/client/sign_ins with the ticket strategy: a ticket becomes a session, once."""

from __future__ import annotations

import httpx
import pytest

from conftest import make_user
from redeeming import error_code, new_token, session_jwt, sign_in, verify
from servers import ManualClock, Running


def test_a_ticket_signs_in_once_and_answers_clerks_sign_in_shape(
    server: Running, api: httpx.Client
) -> None:
    """A pending ticket redeems to a complete SignIn whose client holds the new session."""
    token = new_token(api)
    response = sign_in(server.base_url, token["token"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"response", "client"}
    assert body["response"]["object"] == "sign_in_attempt"
    assert body["response"]["status"] == "complete"
    session_id = body["response"]["created_session_id"]
    assert session_id.startswith("sess_")
    session = body["client"]["sessions"][0]
    assert session["id"] == session_id
    assert session["status"] == "active"
    assert body["client"]["last_active_session_id"] == session_id
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "accepted"


def test_a_form_encoded_sign_in_works_like_json(server: Running, api: httpx.Client) -> None:
    """The Frontend API takes the ticket form-encoded too."""
    response = sign_in(server.base_url, new_token(api)["token"], form=True)
    assert response.status_code == 200, response.text
    assert response.json()["response"]["status"] == "complete"


def test_the_session_token_verifies_with_pyjwt_against_the_jwks(
    server: Running, api: httpx.Client
) -> None:
    """The JWT carries sub, sid, iss, iat, nbf, exp and a kid that the JWKS publishes."""
    token = new_token(api)
    response = sign_in(server.base_url, token["token"])
    jwt_text = session_jwt(response)
    for path in ("/.well-known/jwks.json", "/v1/jwks"):
        claims = verify(server.base_url, jwt_text, path=path)
        assert claims["sub"] == token["user_id"]
        assert claims["sid"] == response.json()["response"]["created_session_id"]
        assert claims["iss"].startswith(server.base_url + "/instances/ins_")
        assert claims["nbf"] == claims["iat"] < claims["exp"]


def test_the_second_redemption_is_already_used(server: Running, api: httpx.Client) -> None:
    """A used ticket answers 400 sign_in_token_already_used_code and starts no session."""
    token = new_token(api)
    assert sign_in(server.base_url, token["token"]).status_code == 200
    again = sign_in(server.base_url, token["token"])
    assert again.status_code == 400
    assert error_code(again) == "sign_in_token_already_used_code"
    error = again.json()["errors"][0]
    assert token["token"] not in again.text
    assert error["long_message"] == (
        "This sign in token has already been used. Each token can only be used once."
    )
    sessions = api.get("/v1/sessions", params={"user_id": token["user_id"]}).json()
    assert len(sessions) == 1


@pytest.mark.parametrize(
    "ticket",
    [
        "",
        "tsit_short",
        "not a ticket at all",
        "tsit_" + "A" * 43 + "AAAAAA",  # well-shaped, wrong checksum
    ],
)
def test_a_malformed_ticket_is_invalid(server: Running, ticket: str) -> None:
    """Malformed tickets answer 400 ticket_invalid_code (or 422 when blank)."""
    response = sign_in(server.base_url, ticket)
    if ticket == "":
        assert (response.status_code, error_code(response)) == (422, "form_param_value_invalid")
    else:
        assert (response.status_code, error_code(response)) == (400, "ticket_invalid_code")


def test_an_unknown_well_formed_ticket_is_invalid(server: Running) -> None:
    """A ticket with a valid checksum that no token has answers ticket_invalid_code: in the
    first format, and naming a token id that does not exist."""
    from tessera import crypto, ids, tokens

    for ticket in (
        crypto.new_secret("tsit_"),
        tokens.new_ticket(ids.new_id("sit", ManualClock()())),
    ):
        response = sign_in(server.base_url, ticket)
        assert (response.status_code, error_code(response)) == (400, "ticket_invalid_code")


def test_a_ticket_forged_for_a_known_token_id_is_invalid(
    server: Running, api: httpx.Client
) -> None:
    """Token ids are public; a well-formed ticket naming a real token but carrying other random
    bits is refused as invalid and leaves the token pending for its real ticket."""
    from tessera import tokens

    token = new_token(api)
    forged = tokens.new_ticket(token["id"])
    assert forged[:32] == token["token"][:32] and forged != token["token"]
    response = sign_in(server.base_url, forged)
    assert (response.status_code, error_code(response)) == (400, "ticket_invalid_code")
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"
    assert sign_in(server.base_url, token["token"]).status_code == 200


def test_a_revoked_ticket_is_refused_as_revoked(server: Running, api: httpx.Client) -> None:
    """A ticket revoked before use answers sign_in_token_revoked_code."""
    token = new_token(api)
    assert api.post(f"/v1/sign_in_tokens/{token['id']}/revoke").status_code == 200
    response = sign_in(server.base_url, token["token"])
    assert (response.status_code, error_code(response)) == (400, "sign_in_token_revoked_code")


@pytest.mark.parametrize("action", ["ban", "delete"])
def test_a_banned_or_deleted_users_ticket_cannot_be_used(
    server: Running, api: httpx.Client, action: str
) -> None:
    """A ticket whose user is banned or deleted answers sign_in_token_cannot_be_used_code."""
    token = new_token(api)
    if action == "ban":
        assert api.post(f"/v1/users/{token['user_id']}/ban").status_code == 200
    else:
        assert api.delete(f"/v1/users/{token['user_id']}").status_code == 200
    response = sign_in(server.base_url, token["token"])
    assert (response.status_code, error_code(response)) == (
        400,
        "sign_in_token_cannot_be_used_code",
    )


def test_a_ticket_made_while_banned_is_not_consumed_and_works_after_unban(
    server: Running, api: httpx.Client
) -> None:
    """The user check sits inside the accept, so a banned user's ticket stays pending."""
    user = make_user(api, email_address=["ban@example.com"])
    assert api.post(f"/v1/users/{user['id']}/ban").status_code == 200
    token = new_token(api, user["id"])
    refused = sign_in(server.base_url, token["token"])
    assert error_code(refused) == "sign_in_token_cannot_be_used_code"
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"
    assert api.post(f"/v1/users/{user['id']}/unban").status_code == 200
    assert sign_in(server.base_url, token["token"]).status_code == 200


@pytest.mark.parametrize(
    ("offset_ms", "expected"),
    [(-1, 200), (0, 400), (1, 400)],
    ids=["just-before", "at", "after"],
)
def test_expiry_with_the_injected_clock(
    server: Running, api: httpx.Client, clock: ManualClock, offset_ms: int, expected: int
) -> None:
    """A ticket redeems until just before expires_at; at and after it, ticket_expired_code."""
    token = new_token(api, expires_in_seconds=60)
    clock.advance(60 + offset_ms / 1000)
    response = sign_in(server.base_url, token["token"])
    assert response.status_code == expected, response.text
    if expected == 400:
        assert error_code(response) == "ticket_expired_code"
        assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"


def test_the_strategy_must_be_ticket_and_the_ticket_present(server: Running) -> None:
    """Other strategies and a missing ticket are 422s in Clerk's shape."""
    with httpx.Client(base_url=server.base_url) as client:
        wrong = client.post("/v1/client/sign_ins", json={"strategy": "password", "ticket": "x"})
        missing = client.post("/v1/client/sign_ins", data={"strategy": "ticket"})
        not_json = client.post(
            "/v1/client/sign_ins", content=b"{", headers={"content-type": "application/json"}
        )
    assert (wrong.status_code, error_code(wrong)) == (422, "form_param_value_invalid")
    assert (missing.status_code, error_code(missing)) == (422, "form_param_missing")
    assert missing.json()["errors"][0]["meta"] == {"param_name": "ticket"}
    assert (not_json.status_code, error_code(not_json)) == (400, "request_body_invalid")


def test_redemption_sets_the_users_last_sign_in(
    server: Running, api: httpx.Client, clock: ManualClock
) -> None:
    """The user's last_sign_in_at is the redemption time."""
    token = new_token(api)
    clock.advance(5)
    assert sign_in(server.base_url, token["token"]).status_code == 200
    user = api.get(f"/v1/users/{token['user_id']}").json()
    assert user["last_sign_in_at"] == int(clock.now.timestamp() * 1000)
