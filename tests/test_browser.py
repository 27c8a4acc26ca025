"""A real browser: Clerk's SDK makes the link, Chromium follows it, the example app greets."""

from __future__ import annotations

import importlib.util
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import clerk_backend_api
import httpx
import pytest
import uvicorn
from clerk_backend_api.utils import BackoffStrategy, RetryConfig
from playwright.sync_api import Page, expect, sync_playwright

from conftest import in_store
from redeeming import running
from servers import ManualClock, Running, free_port
from tessera.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"


LAUNCH_ARGS = [
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page() -> Iterator[Page]:
    """A page in Debian's Chromium (never a downloaded browser).

    Playwright's sync API runs an event loop in this thread while it is started; it is started
    and stopped here, per test, so that no later test finds a loop already running (the
    session-scoped fixtures of pytest-playwright would leave it running for the whole run).
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.fixture
def server(database_url: str, secret_key: str) -> Iterator[Running]:
    """Tessera on the real clock (the browser and the example app check times for real)."""
    with running(database_url, secret_key, ManualClock()) as tessera:
        yield tessera


@pytest.fixture
def example_app(server: Running) -> Iterator[str]:
    """examples/app.py, run for real on another loopback port, trusting ``server``."""
    spec = importlib.util.spec_from_file_location("example_app", ROOT / "examples" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    port = free_port()
    issuer = f"{server.base_url}/instances/{in_store(server.database_url, default_instance)}"
    app = module.create_app(issuer, [f"http://127.0.0.1:{port}"])  # it checks iss and azp
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not app_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the example app did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app_server.should_exit = True
        thread.join(10)


async def default_instance(store: Store) -> str:
    instance = await store.instances.first()
    assert instance is not None
    return instance.id


@pytest.mark.browser
def test_a_link_signs_in_through_the_page_once(
    server: Running, example_app: str, page: Page
) -> None:
    """Open the SDK-made link, press Continue, land signed in; the link then no longer works."""
    with httpx.Client(base_url=server.base_url) as raw:
        response = raw.patch(
            "/v1/instance",
            json={"after_sign_in_url": example_app},
            headers={"Authorization": f"Bearer {server.secret_key}"},
        )
        assert response.status_code == 204
    with clerk_backend_api.Clerk(
        bearer_auth=server.secret_key,
        server_url=server.api_url,
        retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False),
    ) as clerk:
        user = clerk.users.create(email_address=["ada@example.com"])
        token = clerk.sign_in_tokens.create(request={"user_id": user.id})
    assert token.url is not None
    ARTIFACTS.mkdir(exist_ok=True)

    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(token.url)
    expect(page.get_by_text("Continue to sign in as")).to_be_visible()
    expect(page.locator("strong")).to_have_text("a***@e***.com")
    assert "ticket=" not in page.url  # the script took the ticket out of the address bar
    page.screenshot(path=str(ARTIFACTS / "browser-1-continue.png"))

    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(example_app)
    expect(page.get_by_text(f"Signed in as {user.id}")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "browser-2-signed-in.png"))

    page.goto(token.url)
    expect(page.get_by_role("heading")).to_have_text("This link is no longer valid")
    page.screenshot(path=str(ARTIFACTS / "browser-3-no-longer-valid.png"))
    assert re.fullmatch(r"sess_\w{27}", clerk_session_of(server, user.id))
    assert not [m for m in console if "Content Security Policy" in m]  # script and style ran


def clerk_session_of(server: Running, user_id: str) -> str:
    """The one session the visit started, read through the Backend API."""
    with server.client() as api:
        sessions = api.get("/v1/sessions", params={"user_id": user_id}).json()
    assert len(sessions) == 1
    session_id: str = sessions[0]["id"]
    return session_id
