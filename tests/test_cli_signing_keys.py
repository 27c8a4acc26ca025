"""`tessera signing-keys rotate|list` through `main(argv)`, against a running server's database:
the server's JWKS then publishes both keys, and tokens of either verify."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jwt
import pytest

from cli_helpers import Cli, both_modes, clear_env, runner
from redeeming import new_token, session_jwt, sign_in, verify
from servers import Running
from tessera.cli import main
from tessera.sealed import parse_key


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_env(monkeypatch)


def jwks_kids(server: Running) -> list[str]:
    keys = httpx.get(server.base_url + "/.well-known/jwks.json").json()["keys"]
    return [k["kid"] for k in keys]


def signed_in(server: Running, api: httpx.Client) -> str:
    response = sign_in(server.base_url, new_token(api)["token"])
    assert response.status_code == 200, response.text
    return session_jwt(response)


def rotated(direct: Cli, *options: str) -> dict[str, Any]:
    result = direct("signing-keys", "rotate", "--json", *options)
    assert result.code == 0, result.err
    key: dict[str, Any] = result.json()
    return key


def test_rotate_publishes_both_keys_and_tokens_of_either_verify(
    direct: Cli, server: Running, api: httpx.Client
) -> None:
    """After a rotation the running server's JWKS holds the new kid first and the old one
    after it; the old token still verifies, and new tokens are signed with the new key."""
    before = signed_in(server, api)
    (old_kid,) = jwks_kids(server)
    result = direct("signing-keys", "rotate")
    assert result.code == 0, result.err
    new_kid = result.out.split()[1]
    assert new_kid.startswith("jwk_") and new_kid != old_kid
    assert "RS256" in result.out and "current" in result.out
    assert f"the previous key {old_kid} still verifies" in result.err

    assert jwks_kids(server) == [new_kid, old_kid]
    assert verify(server.base_url, before)["sub"].startswith("user_")
    after = signed_in(server, api)
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert verify(server.base_url, after)["sub"].startswith("user_")


def test_rotate_to_eddsa_signs_new_tokens_with_eddsa(
    direct: Cli, server: Running, api: httpx.Client
) -> None:
    """`--algorithm EdDSA` makes an Ed25519 key: published as OKP, and new tokens use it."""
    key = rotated(direct, "--algorithm", "EdDSA")
    assert (key["algorithm"], key["status"], key["public_jwk"]["kty"]) == (
        "EdDSA",
        "current",
        "OKP",
    )
    published = httpx.get(server.base_url + "/v1/jwks").json()["keys"]
    assert published[0]["kid"] == key["id"] and published[0]["crv"] == "Ed25519"
    token = signed_in(server, api)
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": key["id"], "typ": "JWT"}
    verify(server.base_url, token)
    again = rotated(direct)  # the instance's setting is now EdDSA
    assert again["algorithm"] == "EdDSA"


def test_list_shows_every_key_and_never_a_private_one(
    direct: Cli, server: Running, api: httpx.Client
) -> None:
    """`list` shows kid, algorithm, status, publication and dates, newest first; neither the
    table nor the JSON carries private key material."""
    signed_in(server, api)  # the first key is made on first use
    first = rotated(direct)
    second = rotated(direct)
    listed = direct("signing-keys", "list", "--json")
    assert listed.code == 0
    keys = listed.json()
    assert [k["id"] for k in keys][:2] == [second["id"], first["id"]]
    assert [k["status"] for k in keys] == ["current", "retired", "retired"]
    assert all(k["published"] for k in keys)
    assert keys[1]["publish_until"] > keys[1]["retired_at"]
    public = {"kty", "key_ops", "n", "e", "crv", "x", "kid", "alg", "use"}
    assert all(set(k["public_jwk"]) <= public for k in keys)  # no "d", "p", "q"…
    assert not any("private" in name for k in keys for name in k)

    table = direct("signing-keys", "list")
    assert table.code == 0
    for heading in ("KID", "ALGORITHM", "STATUS", "PUBLISHED", "CREATED", "PUBLISH UNTIL"):
        assert heading in table.out
    assert second["id"] in table.out and "retired" in table.out
    for text in (listed.out, table.out):
        assert "PRIVATE KEY" not in text and '"d"' not in text


def test_signing_keys_are_refused_over_the_api_in_one_line(
    server: Running, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through --api-url, every command exits 2 with one line saying to use --database-url,
    and no key is made."""
    cli = both_modes("api", server, capsys, monkeypatch)
    (kid,) = jwks_kids(server)
    for action in (["rotate"], ["list"], ["revoke", kid], ["rewrap"]):
        result = cli("signing-keys", *action)
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            "tessera: error: `tessera signing-keys` works on the database only: use "
            "--database-url (the HTTP API manages users, sign-in tokens and sessions, not "
            "instances or keys).\n"
        )
    assert jwks_kids(server) == [kid]


def test_rotate_for_an_unknown_instance_is_a_usage_error(direct: Cli) -> None:
    """`--instance` naming no instance exits 2 with one line."""
    result = direct("signing-keys", "rotate", "--instance", "ins_missing")
    assert (result.code, result.err) == (
        2,
        "tessera: error: no instance ins_missing in this database.\n",
    )


def test_keygen_encryption_key_prints_a_new_key_each_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tessera keygen --encryption-key`: 32 random bytes, unpadded base64url, one line."""
    run = runner(capsys)
    first, second = run("keygen", "--encryption-key"), run("keygen", "--encryption-key")
    assert first.code == second.code == 0 and first.out != second.out
    text = first.out.removesuffix("\n")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", text)
    assert len(parse_key(text)) == 32
    refused = run("keygen", "--encryption-key", "--live")
    assert refused.code == 2 and refused.out == ""


def test_help_describes_revoke_and_rewrap(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["signing-keys", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "revoke" in text and "rewrap" in text and "--revoke-previous" in text
    assert "leaves the JWKS of every server at once" in text
