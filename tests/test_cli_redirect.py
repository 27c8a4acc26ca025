"""`tessera tokens create --redirect-url`, in both modes: an allowed URL is stored with the
token, and the link's Continue lands there; any other URL is one line and exit 1."""

from __future__ import annotations

import httpx
import pytest

from cli_helpers import Cli, clear_env
from conftest import in_store
from redeeming import press_continue, ticket_in
from servers import Running
from tessera.store import Store

ALLOWED = "https://app.example.com/welcome/*"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_env(monkeypatch)


@pytest.fixture
def user_id(api: httpx.Client) -> str:
    """A user of an instance whose allow-list holds ALLOWED."""
    patched = api.patch("/v1/instance", json={"allowed_redirect_urls": [ALLOWED]})
    assert patched.status_code == 204, patched.text
    user: str = api.post("/v1/users", json={}).json()["id"]
    return user


def stored_redirect(server: Running, token_id: str) -> str | None:
    """The token's redirect URL as stored (the API does not show it)."""

    async def read(store: Store) -> str | None:
        instance = await store.instances.first()
        assert instance is not None
        token = await store.tokens.get(instance.id, token_id)
        assert token is not None
        return token.redirect_url

    return in_store(server.database_url, read)


def test_an_allowed_redirect_url_is_stored_and_continue_lands_there(
    cli: Cli, server: Running, user_id: str
) -> None:
    """--redirect-url on the allow-list makes a token carrying it: stored, and the link's
    Continue answers 303 to it."""
    target = "https://app.example.com/welcome/ann?tab=1"
    result = cli("tokens", "create", "--user", user_id, "--redirect-url", target, "--json")
    assert result.code == 0, result.err
    token = result.json()
    assert stored_redirect(server, token["id"]) == target
    redeemed = press_continue(server.base_url, ticket_in(token["url"]))
    assert (redeemed.status_code, redeemed.headers["location"]) == (303, target)


def test_without_redirect_url_none_is_stored(cli: Cli, server: Running, user_id: str) -> None:
    """Without --redirect-url the token carries none (Continue uses the instance's setting)."""
    token = cli("tokens", "create", "--user", user_id, "--json").json()
    assert stored_redirect(server, token["id"]) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://evil.example/welcome/", "it is not one of this instance's allowed redirect URLs"),
        (
            "https://app.example.com/welcome",
            "it is not one of this instance's allowed redirect URLs",
        ),
        (
            "app.example.com/welcome/x",
            "it must be an absolute http or https URL without a fragment",
        ),
    ],
)
def test_a_refused_redirect_url_is_one_line_and_exit_1(
    cli: Cli, server: Running, user_id: str, url: str, reason: str
) -> None:
    """A URL off the allow-list (or not a URL) is refused in one line, exit 1, no token made."""
    result = cli("tokens", "create", "--user", user_id, "--redirect-url", url)
    assert (result.code, result.out) == (1, "")
    assert result.err.endswith(f"{reason}.\n") and result.err.count("\n") == 1
    assert result.err.startswith("tessera: error: ")
    assert cli("tokens", "list", "--user", user_id, "--json").json() == []
