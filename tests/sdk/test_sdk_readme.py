"""The README's SDK example, run verbatim against a real server."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import httpx
import pytest

from conftest import make_user
from servers import Running

# Exactly the block of the README's SDK section; only the key and URL are pointed at the server.
README_BLOCK = """\
import tessera
from tessera import ApiError, CreateSignInTokenRequest

tessera.configure(secret_key="sk_test_...", base_url="http://127.0.0.1:8000/v1")
try:
    token = tessera.SDK.sign_in_tokens.create_sign_in_token(
        create_sign_in_token_request=CreateSignInTokenRequest(user_id=user_id, expires_in_seconds=600))
    print(token.id, token.status, token.url)
    data, status_code, headers = tessera.SDK.sign_in_tokens.revoke_sign_in_token_with_http_info(token.id)
    tessera.SDK.sign_in_tokens.revoke_sign_in_token(token.id)          # raises: already revoked
except ApiError as e:
    print(e.code, e.errors[0].code, e.response_headers, e.response_body)
"""


@pytest.fixture
def default_client_reset() -> Iterator[None]:
    """The default client the block configures is closed after the test."""
    yield
    import tessera

    tessera.SDK.client.close()


def test_readme_block_creates_revokes_then_reports_the_second_revoke(
    server: Running, api: httpx.Client, default_client_reset: None
) -> None:
    """The block prints the new token, then the 400 of revoking it again, and nothing else."""
    user_id = make_user(api)["id"]
    code = README_BLOCK.replace('"sk_test_..."', repr(server.secret_key)).replace(
        "http://127.0.0.1:8000/v1", server.api_url
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"user_id": user_id})
    first, second = out.getvalue().splitlines()
    token_id, status, url = first.split(" ")
    assert status == "pending"
    assert url.startswith(f"{server.base_url}/v1/tickets/accept?ticket=tsit_")
    assert second.startswith("400 sign_in_token_cannot_be_revoked_code Headers(")
    assert "Only pending tokens can be revoked." in second
    assert api.get(f"/v1/sign_in_tokens/{token_id}").json()["status"] == "revoked"
