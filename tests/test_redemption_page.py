"""The sign-in link's page (GET never changes state; Continue POSTs), redirects, rate limits."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from pathlib import Path

import httpx
import pytest

import redeeming
from conftest import make_user
from redeeming import CONFORMANCE, error_code, new_token, running, sign_in, verify
from servers import ManualClock, Running
from tessera.store import open_store

NO_LONGER_VALID = "This link is no longer valid"


def page(server: Running, ticket: str) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, event_hooks=CONFORMANCE) as client:
        return client.get("/v1/tickets/accept", params={"ticket": ticket})


def press_continue(server: Running, ticket: str, **headers: str) -> httpx.Response:
    """What the page's form sends when Continue is pressed."""
    return redeeming.press_continue(server.base_url, ticket, **headers)


def set_instance(api: httpx.Client, **settings: object) -> None:
    response = api.patch("/v1/instance", json=settings)
    assert response.status_code == 204, response.text


def test_five_gets_consume_nothing_and_the_sixth_visit_redeems(
    server: Running, api: httpx.Client
) -> None:
    """Link scanners may fetch the link any number of times; the person still signs in."""
    token = new_token(api)
    for _ in range(5):
        response = page(server, token["token"])
        assert response.status_code == 200
        assert "Continue" in response.text
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"
    assert page(server, token["token"]).status_code == 200
    done = press_continue(server, token["token"])
    assert done.status_code == 200  # no after_sign_in_url: the "signed in" page
    assert "You are signed in" in done.text
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "accepted"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith("__session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the public URL is plain http on loopback
    claims = verify(server.base_url, done.cookies["__session"])
    assert claims["sub"] == token["user_id"]


def test_the_page_is_self_contained_private_and_masks_the_email(
    server: Running, api: httpx.Client
) -> None:
    """No third-party resources, no-referrer, no-store, a hash-based CSP, a masked email."""
    token = new_token(api)
    response = page(server, token["token"])
    headers = response.headers
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    script = re.search(r"<script>(.*?)</script>", response.text, re.S)
    assert script is not None and "history.replaceState" in script[1]
    digest = base64.b64encode(hashlib.sha256(script[1].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert not re.search(r"<(script|link|img|iframe)[^>]*\s(src|href)=", response.text)
    assert "j***@e***.com" in response.text
    assert "jane.doe" not in response.text and "example.com" not in response.text
    assert 'method="post"' in response.text


@pytest.mark.parametrize("reason", ["malformed", "unknown", "used", "revoked", "expired", "banned"])
def test_every_unusable_ticket_gets_the_same_page_and_the_reason_is_logged(
    server: Running,
    api: httpx.Client,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    reason: str,
) -> None:
    """One generic page for every reason; the log names the reason, never the ticket."""
    token = new_token(api, expires_in_seconds=60)
    ticket = token["token"]
    if reason == "malformed":
        ticket = "tsit_nope"
    elif reason == "unknown":
        ticket = ticket[:-12] + ("A" if ticket[-12] != "A" else "B") + ticket[-11:]
    elif reason == "used":
        assert sign_in(server.base_url, ticket).status_code == 200
    elif reason == "revoked":
        api.post(f"/v1/sign_in_tokens/{token['id']}/revoke")
    elif reason == "expired":
        clock.advance(60)
    elif reason == "banned":
        api.post(f"/v1/users/{token['user_id']}/ban")
    caplog.set_level(logging.DEBUG, logger="tessera")
    shown = page(server, ticket)
    posted = press_continue(server, ticket)
    reference = page(server, "tsit_x").text
    for response in (shown, posted):
        assert response.status_code == 400
        assert NO_LONGER_VALID in response.text
        assert response.text == reference
        assert response.headers["cache-control"] == "no-store"
    assert "refused" in caplog.text
    assert ticket not in caplog.text


def test_a_sign_in_url_redirects_with_the_ticket_and_changes_nothing(
    server: Running, api: httpx.Client
) -> None:
    """With sign_in_url set, the link answers 303 to it with __clerk_ticket, as Clerk does."""
    set_instance(api, sign_in_url="https://app.example.com/sign-in?from=mail")
    token = new_token(api)
    response = page(server, token["token"])
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"https://app.example.com/sign-in?from=mail&__clerk_ticket={token['token']}"
    )
    assert response.headers["referrer-policy"] == "no-referrer"
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"


def test_continue_lands_on_the_after_sign_in_url_or_the_tokens_redirect_url(
    server: Running, api: httpx.Client
) -> None:
    """303 to the token's own redirect_url when it has one, else to after_sign_in_url."""
    set_instance(
        api,
        after_sign_in_url="https://app.example.com/home",
        allowed_redirect_urls=["https://app.example.com/welcome/*"],
    )
    plain = new_token(api)
    shown = page(server, plain["token"])
    assert "https://app.example.com" in shown.headers["content-security-policy"]
    done = press_continue(server, plain["token"])
    assert (done.status_code, done.headers["location"]) == (303, "https://app.example.com/home")
    own = new_token(api, redirect_url="https://app.example.com/welcome/42")
    done = press_continue(server, own["token"])
    assert done.headers["location"] == "https://app.example.com/welcome/42"
    assert done.cookies["__session"]


def test_a_redirect_url_off_the_allow_list_is_refused_at_create(
    server: Running, api: httpx.Client
) -> None:
    """422 naming redirect_url, and no token is made; an allowed one is kept on the token."""
    set_instance(api, allowed_redirect_urls=["https://app.example.com/done"])
    user = make_user(api)
    for url in ("https://evil.example/done", "https://app.example.com/done/x", "javascript:x"):
        response = api.post("/v1/sign_in_tokens", json={"user_id": user["id"], "redirect_url": url})
        assert response.status_code == 422
        assert response.json()["errors"][0]["meta"] == {"param_name": "redirect_url"}
    listed = api.get("/v1/sign_in_tokens", params={"user_id": user["id"]}).json()
    assert listed["total_count"] == 0
    ok = api.post(
        "/v1/sign_in_tokens",
        json={"user_id": user["id"], "redirect_url": "https://app.example.com/done"},
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "settings",
    [
        {"sign_in_url": "ftp://x"},
        {"after_sign_in_url": "/relative"},
        {"allowed_redirect_urls": "https://a.example/"},
        {"allowed_redirect_urls": ["https://a.example*"]},
        {"session_lifetime": 5},
        {"signing_algorithm": "HS256"},
    ],
)
def test_bad_instance_settings_are_refused(
    server: Running, api: httpx.Client, settings: dict[str, object]
) -> None:
    """Unusable URLs, patterns, lifetimes and algorithms answer 422 and change nothing."""
    response = api.patch("/v1/instance", json=settings)
    assert response.status_code == 422
    assert error_code(response) == "form_param_value_invalid"


def test_a_cross_site_post_of_a_ticket_is_refused(server: Running, api: httpx.Client) -> None:
    """Login CSRF: only the page itself may post a ticket; the token stays pending."""
    token = new_token(api)
    response = press_continue(server, token["token"], **{"sec-fetch-site": "cross-site"})
    assert response.status_code == 400
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"


def test_failed_redemptions_are_rate_limited_per_address(
    database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """Over the limit a failure is a 429 with Retry-After in Clerk's shape (or the page's),
    until the window ends; the token a genuine ticket names is untouched by the refusals."""
    with (
        running(
            database_url, secret_key, clock, redeem_rate_limit=3, redeem_rate_window=60
        ) as server,
        server.client() as api,
    ):
        token = new_token(api)
        for _ in range(3):
            assert sign_in(server.base_url, "tsit_bad").status_code == 400
        limited = sign_in(server.base_url, "tsit_bad")
        assert limited.status_code == 429
        assert error_code(limited) == "too_many_requests"
        assert set(limited.json()["errors"][0]) == {"message", "long_message", "code"}
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        html = press_continue(server, "tsit_bad")
        assert html.status_code == 429 and "retry-after" in html.headers
        assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "pending"
        clock.advance(60)
        assert sign_in(server.base_url, "tsit_bad").status_code == 400


def test_successful_redemptions_do_not_spend_the_budget(
    database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """Only failures count: more successes than the limit all go through."""
    with (
        running(
            database_url, secret_key, clock, redeem_rate_limit=2, redeem_rate_window=60
        ) as server,
        server.client() as api,
    ):
        user = make_user(api)
        for _ in range(4):
            ticket = new_token(api, user["id"])["token"]
            assert sign_in(server.base_url, ticket).status_code == 200


def test_no_page_or_error_ever_contains_a_private_key(
    server: Running, api: httpx.Client, tmp_path: Path
) -> None:
    """The JWKS and every response carry public key material only."""
    sign_in(server.base_url, new_token(api)["token"])
    jwks = httpx.get(server.base_url + "/v1/jwks").json()
    for key in jwks["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
        assert key["use"] == "sig" and key["alg"] == "RS256" and key["kid"].startswith("jwk_")


def test_stale_rate_limit_buckets_are_swept(
    database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """Counters of past windows do not pile up: a new window sweeps the ones before it."""
    with running(
        database_url, secret_key, clock, redeem_rate_limit=5, redeem_rate_window=60
    ) as server:

        def fail_from(address: str) -> None:
            response = httpx.post(
                server.base_url + "/v1/client/sign_ins",
                json={"strategy": "ticket", "ticket": "tsit_bad"},
                headers={"x-forwarded-for": address},  # uvicorn trusts it from 127.0.0.1
            )
            assert response.status_code == 400

        fail_from("203.0.113.1")
        fail_from("203.0.113.2")
        clock.advance(180)
        fail_from("203.0.113.3")

        async def windows() -> list[object]:
            store = await open_store(database_url)
            try:
                return await store.db.fetchall("SELECT bucket FROM rate_limits")
            finally:
                await store.close()

        assert asyncio.run(windows()) == [("redeem:203.0.113.3",)]


@pytest.mark.parametrize(
    "settings",
    [
        {"sign_in_url": "http://app.example.com/sign-in"},
        {"after_sign_in_url": "http://app.example.com/home"},
        {"allowed_redirect_urls": ["http://app.example.com/welcome/*"]},
        {"after_sign_in_url": "http://127.0.0.1.example.com/"},
    ],
)
def test_plain_http_pages_off_loopback_are_refused(
    server: Running, api: httpx.Client, settings: dict[str, object]
) -> None:
    """Where a person is sent must be https, as TESSERA_PUBLIC_URL must (the ticket rides in
    sign_in_url's query): 422 naming the setting, and nothing changes."""
    response = api.patch("/v1/instance", json=settings)
    assert response.status_code == 422
    assert error_code(response) == "form_param_value_invalid"
    assert response.json()["errors"][0]["meta"] == {"param_name": next(iter(settings))}
    token = new_token(api)
    assert page(server, token["token"]).status_code == 200  # no sign_in_url was stored


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:3000/", "http://localhost/home", "http://[::1]:8080/x"]
)
def test_plain_http_on_loopback_is_allowed(server: Running, api: httpx.Client, url: str) -> None:
    """A developer's app on this machine may be plain http."""
    set_instance(api, after_sign_in_url=url, sign_in_url=url, allowed_redirect_urls=[url])


def test_a_redirect_url_removed_from_the_allow_list_is_not_followed(
    server: Running, api: httpx.Client
) -> None:
    """Removing an entry takes effect at once: a pending token carrying that redirect_url
    still signs in, but lands on after_sign_in_url (and the page's form-action follows)."""
    set_instance(
        api,
        after_sign_in_url="https://app.example.com/home",
        allowed_redirect_urls=["https://old.example.com/welcome"],
    )
    token = new_token(api, redirect_url="https://old.example.com/welcome")
    set_instance(api, allowed_redirect_urls=[])
    shown = page(server, token["token"])
    assert "old.example.com" not in shown.headers["content-security-policy"]
    done = press_continue(server, token["token"])
    assert (done.status_code, done.headers["location"]) == (303, "https://app.example.com/home")
    assert api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "accepted"
