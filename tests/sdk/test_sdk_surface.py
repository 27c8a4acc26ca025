"""The public surface: what ``import tessera`` loads and exports, and ``configure``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

import tessera
from servers import Running

PUBLIC = {
    "__version__", "SDK", "UNSET", "configure", "Client", "AsyncClient", "Retries",
    "ApiError", "BadRequestError", "AuthenticationError", "PermissionDeniedError",
    "NotFoundError", "ConflictError", "UnprocessableEntityError", "RateLimitError",
    "ServerError", "ApiConnectionError", "ApiTimeoutError", "ErrorDetail",
    "CreateSignInTokenRequest", "CreateUserRequest", "UpdateUserRequest", "SignInToken",
    "SignInTokenList", "SignInTokenRevocation", "User", "EmailAddress", "DeletedObject",
    "Session", "SessionActivity", "SignInResult", "SignInAttempt", "SignInClient",
    "ClientSession", "SessionToken",
}  # fmt: skip
SERVER = ("starlette", "uvicorn", "orjson", "cryptography", "tessera.api", "tessera.store")


@pytest.fixture
def default_client() -> Iterator[None]:
    yield
    tessera.SDK.client.close()


def test_import_tessera_loads_no_server_module() -> None:
    """A fresh interpreter importing tessera loads the SDK and httpx, no server module."""
    code = "import json, sys, tessera; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    loaded = json.loads(out)
    assert "tessera.sdk" in loaded and "httpx" in loaded
    assert [m for m in loaded if m.split(".")[0] in SERVER or m.startswith(SERVER)] == []
    tessera_modules = {m for m in loaded if m.startswith("tessera")}
    assert tessera_modules == {"tessera"} | {
        m for m in tessera_modules if m.startswith("tessera.sdk")
    }


def test_all_is_the_public_surface_and_every_name_is_documented() -> None:
    """``tessera.__all__`` names exactly the public API, each with a docstring."""
    assert set(tessera.__all__) == PUBLIC
    assert len(tessera.__all__) == len(PUBLIC)
    assert tessera.__all__ == ["__version__", *tessera.sdk.__all__]
    for name in PUBLIC - {"__version__", "UNSET", "SDK"}:
        assert getattr(tessera, name).__doc__, name
    assert type(tessera.SDK).__doc__ and type(tessera.UNSET).__doc__


def test_configure_refuses_a_key_that_is_not_a_secret_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A publishable key is refused with a ValueError that does not repeat it; no key at all
    is refused with one naming TESSERA_SECRET_KEY."""
    with pytest.raises(ValueError, match="must be a secret key, starting with sk_") as raised:
        tessera.configure(secret_key="pk_test_abcdef", base_url="http://127.0.0.1:1/v1")
    assert "pk_test_abcdef" not in str(raised.value)
    monkeypatch.delenv("TESSERA_SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="set TESSERA_SECRET_KEY"):
        tessera.Client()


def test_sdk_uses_the_environment_until_configure_is_called(
    server: Running, monkeypatch: pytest.MonkeyPatch, default_client: None
) -> None:
    """Without configure, SDK reads TESSERA_SECRET_KEY and TESSERA_API_URL (for every
    resource); configure wins."""
    monkeypatch.setattr("tessera.sdk.default._client", None)
    monkeypatch.setenv("TESSERA_SECRET_KEY", server.secret_key)
    monkeypatch.setenv("TESSERA_API_URL", server.api_url)
    assert tessera.SDK.users.get_user_list() == []
    assert tessera.SDK.sessions.get_session_list() == []
    assert tessera.SDK.sign_ins is tessera.SDK.client.sign_ins
    assert str(tessera.SDK.client.config.base_url) == server.api_url + "/"
    client = tessera.configure(server.secret_key, "http://127.0.0.1:9/v1")
    assert tessera.SDK.client is client
    assert server.secret_key not in repr(client.config) + repr(tessera.SDK)
