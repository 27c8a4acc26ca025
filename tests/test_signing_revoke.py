"""`tessera signing-keys revoke KID` and `rotate --revoke-previous`: a leaked key is cut off.

The key leaves the JWKS of the running server at once, so a token minted afterwards with the
leaked private key does not verify with PyJWKClient (as examples/app.py verifies), and the
sessions it signed are revoked in the same transaction.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from cli_helpers import Cli, clear_env
from conftest import in_store, start_server
from redeeming import new_token, session_jwt, sign_in, verify
from servers import ManualClock, Running
from tessera.store import Store


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_env(monkeypatch)


def signed_in(server: Running, api: httpx.Client) -> tuple[str, str]:
    """A new session's token and id."""
    response = sign_in(server.base_url, new_token(api)["token"])
    assert response.status_code == 200, response.text
    return session_jwt(response), response.json()["response"]["created_session_id"]


def leaked_key(server: Running) -> tuple[str, str]:
    """The current key's id and private PEM, as a thief with a copy of the database has it."""

    async def read(store: Store) -> tuple[str, str]:
        instance = await store.instances.first()
        assert instance is not None
        key = await store.signing_keys.current(instance.id)
        assert key is not None
        return key.id, key.private_pem

    return in_store(server.database_url, read)


def forged(token: str, kid: str, pem: str) -> str:
    """A token for the same user and issuer, minted now with the leaked key."""
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now, nbf=now, exp=now + 3600)
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


def verifies_with_pyjwkclient(token: str) -> bool:
    """What examples/app.py does: PyJWKClient on the token's ``{iss}/.well-known/jwks.json``."""
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    keys = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json")
    try:
        key = keys.get_signing_key_from_jwt(token)
        jwt.decode(token, key, algorithms=["RS256", "EdDSA"], issuer=issuer)
    except jwt.PyJWTError:
        return False
    return True


def kids(server: Running, path: str) -> list[str]:
    return [k["kid"] for k in httpx.get(server.base_url + path).json()["keys"]]


def session_status(api: httpx.Client, session_id: str) -> str:
    status: str = api.get(f"/v1/sessions/{session_id}").json()["status"]
    return status


def all_jwks_paths(server: Running, token: str) -> list[str]:
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    issuer_path = "/instances/" + issuer.rsplit("/instances/", 1)[1]
    return ["/.well-known/jwks.json", "/v1/jwks", issuer_path + "/.well-known/jwks.json"]


def test_a_revoked_key_leaves_the_jwks_and_a_forged_token_does_not_verify(
    direct: Cli, server: Running, api: httpx.Client
) -> None:
    """Revoking the current key (it leaked): the running server's JWKS drops it on its next
    answer, a token minted with it afterwards fails PyJWKClient, the sessions it signed are
    revoked, and a new key signs new sessions."""
    token, session_id = signed_in(server, api)
    kid, pem = leaked_key(server)
    assert verifies_with_pyjwkclient(forged(token, kid, pem))  # the threat, before

    result = direct("signing-keys", "revoke", kid)
    assert result.code == 0, result.err
    assert kid in result.out and "revoked" in result.out
    assert "1 sessions it signed were revoked" in result.err
    assert "the new current key is jwk_" in result.err

    assert not verifies_with_pyjwkclient(forged(token, kid, pem))
    assert not verifies_with_pyjwkclient(token)
    for path in all_jwks_paths(server, token):
        published = kids(server, path)
        assert kid not in published and len(published) == 1, path
    assert session_status(api, session_id) == "revoked"

    fresh, fresh_id = signed_in(server, api)
    assert jwt.get_unverified_header(fresh)["kid"] == kids(server, "/v1/jwks")[0] != kid
    assert verifies_with_pyjwkclient(fresh) and session_status(api, fresh_id) == "active"


def test_rotate_revoke_previous_cuts_off_the_previous_key(
    direct: Cli, server: Running, api: httpx.Client
) -> None:
    """`rotate --revoke-previous` makes a new key and revokes the old one at once."""
    token, session_id = signed_in(server, api)
    kid, pem = leaked_key(server)
    result = direct("signing-keys", "rotate", "--revoke-previous", "--json")
    assert result.code == 0, result.err
    done: dict[str, Any] = result.json()
    assert done["object"] == "signing_key_revocation" and done["sessions_revoked"] == 1
    assert (done["revoked"]["id"], done["revoked"]["status"]) == (kid, "revoked")
    assert done["revoked"]["published"] is False and done["revoked"]["revoked_at"]
    assert done["replacement"]["status"] == "current"
    assert kids(server, "/.well-known/jwks.json") == [done["replacement"]["id"]]
    assert not verifies_with_pyjwkclient(forged(token, kid, pem))
    assert session_status(api, session_id) == "revoked"


def test_revoking_a_retired_key_revokes_only_its_sessions(
    direct: Cli, server: Running, api: httpx.Client
) -> None:
    """After a plain rotation both keys are published; revoking the retired one removes it
    and revokes the sessions it signed, not those of the current key."""
    old_token, old_session = signed_in(server, api)
    old_kid, _ = leaked_key(server)
    assert direct("signing-keys", "rotate").code == 0
    new_token_, new_session = signed_in(server, api)
    assert len(kids(server, "/v1/jwks")) == 2

    result = direct("signing-keys", "revoke", old_kid)
    assert result.code == 0, result.err
    assert "new current key" not in result.err
    assert kids(server, "/v1/jwks") == [jwt.get_unverified_header(new_token_)["kid"]]
    assert (session_status(api, old_session), session_status(api, new_session)) == (
        "revoked",
        "active",
    )
    verify(server.base_url, new_token_)
    assert not verifies_with_pyjwkclient(old_token)
    listed = {k["id"]: k for k in direct("signing-keys", "list", "--json").json()}
    assert (listed[old_kid]["status"], listed[old_kid]["published"]) == ("revoked", False)


def test_revoke_refuses_an_unknown_or_already_revoked_key_in_one_line(
    direct: Cli, server: Running, api: httpx.Client
) -> None:
    signed_in(server, api)
    kid, _ = leaked_key(server)
    missing = direct("signing-keys", "revoke", "jwk_missing")
    assert (missing.code, missing.err) == (
        1,
        "tessera: error: No signing key was found with id jwk_missing.\n",
    )
    assert direct("signing-keys", "revoke", kid).code == 0
    again = direct("signing-keys", "revoke", kid)
    assert (again.code, again.err) == (
        1,
        f"tessera: error: The signing key {kid} is already revoked.\n",
    )


def test_every_node_drops_the_revoked_key_on_its_next_jwks_answer(
    direct: Cli, server: Running, api: httpx.Client, clock: ManualClock
) -> None:
    """Two servers on one database, each asked for its JWKS just before the revoke: each
    answers without the key right after it."""
    token, _ = signed_in(server, api)
    kid, _ = leaked_key(server)
    with start_server(server.database_url, server.secret_key, clock) as other:
        nodes = [server, other]
        for node in nodes:
            for path in all_jwks_paths(node, token):
                assert kid in kids(node, path)
        assert direct("signing-keys", "revoke", kid).code == 0
        for node in nodes:
            for path in all_jwks_paths(node, token):
                assert kid not in kids(node, path), (node.base_url, path)
