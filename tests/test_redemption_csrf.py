"""Login CSRF on the link's page: Continue is accepted only with the form token the page
embedded, matched by the cookie the page set (double submit), on every browser."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import httpx
import pytest

from conftest import prepare
from redeeming import CONFORMANCE, CSRF_COOKIE, new_token
from servers import ManualClock, Running, free_port, serve_in_thread
from tessera.config import Settings

START_AGAIN = "Open the link again"


def form_of(page: httpx.Response) -> dict[str, str]:
    """The hidden fields of the page's Continue form."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))


@pytest.fixture
def old_browser(server: Running) -> Iterator[httpx.Client]:
    """An older browser: it keeps cookies but sends no Sec-Fetch-Site."""
    with httpx.Client(base_url=server.base_url, event_hooks=CONFORMANCE) as client:
        yield client


def status_of(api: httpx.Client, token: dict[str, str]) -> str:
    status: str = api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"]
    return status


def test_the_page_sets_a_strict_cookie_and_embeds_the_same_token(
    old_browser: httpx.Client, api: httpx.Client
) -> None:
    """The cookie is HttpOnly, SameSite=Strict, Path=/; a second visit keeps the same token."""
    token = new_token(api)
    shown = old_browser.get("/v1/tickets/accept", params={"ticket": token["token"]})
    form = form_of(shown)
    assert set(form) == {"ticket", "csrf"}
    assert re.fullmatch(r"[\w-]{43}", form["csrf"])
    assert old_browser.cookies[CSRF_COOKIE] == form["csrf"]
    cookie = shown.headers["set-cookie"].lower()
    assert all(part in cookie for part in ("httponly", "samesite=strict", "path=/"))
    again = old_browser.get("/v1/tickets/accept", params={"ticket": new_token(api)["token"]})
    assert form_of(again)["csrf"] == form["csrf"]  # two open pages do not undo each other


def test_the_right_pair_is_accepted_without_sec_fetch_site(
    old_browser: httpx.Client, api: httpx.Client
) -> None:
    """Page, then Continue with what it set and embedded: signed in."""
    token = new_token(api)
    form = form_of(old_browser.get("/v1/tickets/accept", params={"ticket": token["token"]}))
    done = old_browser.post("/v1/tickets/accept", data=form)
    assert done.status_code == 200, done.text
    assert "You are signed in" in done.text and done.cookies["__session"]
    assert status_of(api, token) == "accepted"


@pytest.mark.parametrize("missing", ["both", "cookie", "field", "mismatch", "malformed"])
def test_continue_without_the_pair_is_refused_and_changes_nothing(
    server: Running, api: httpx.Client, missing: str
) -> None:
    """No cookie, no field, or two different values: 403, a page saying to open the link
    again, and the token stays pending (a forged form cannot sign a victim in)."""
    token = new_token(api)
    form, value = {"ticket": token["token"]}, secrets.token_urlsafe(32)
    with httpx.Client(base_url=server.base_url, event_hooks=CONFORMANCE) as client:
        if missing in ("field", "mismatch", "malformed"):
            client.cookies.set(CSRF_COOKIE, "x" if missing == "malformed" else value)
        if missing in ("cookie", "mismatch", "malformed"):
            form["csrf"] = "x" if missing == "malformed" else secrets.token_urlsafe(32)
        refused = client.post("/v1/tickets/accept", data=form)
    assert refused.status_code == 403
    assert START_AGAIN in refused.text
    assert refused.headers["cache-control"] == "no-store"
    assert "__session" not in refused.cookies
    assert status_of(api, token) == "pending"


def test_behind_https_the_cookie_is_host_prefixed_and_secure(
    database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """On an https public URL the cookie is __Host-tessera_csrf and Secure, so no other host
    (a sibling subdomain, a plain-http response) can plant it."""
    port = free_port()
    settings = Settings(database_url=database_url, public_url="https://auth.example.com", port=port)
    prepare(database_url, secret_key)
    with serve_in_thread(settings, clock):
        tessera = Running(f"http://127.0.0.1:{port}", secret_key, database_url, settings)
        with tessera.client() as api:
            token = new_token(api)
            shown = api.get("/v1/tickets/accept", params={"ticket": token["token"]})
    cookie = shown.headers["set-cookie"]
    assert cookie.startswith("__Host-tessera_csrf=")
    assert "Secure" in cookie and "Domain" not in cookie and "Path=/" in cookie
