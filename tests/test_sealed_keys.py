"""Signing private keys sealed at rest under TESSERA_ENCRYPTION_KEY (AES-GCM).

With a key set, the database holds no PEM; a server given keys it cannot open refuses to
start in one sentence; `tessera signing-keys rewrap` moves every key to a new encryption key
(or from plaintext); without a key, `tessera serve` warns once that keys are unencrypted.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cli_helpers import clear_env, runner
from conftest import in_store
from redeeming import new_token, session_jwt, sign_in, verify
from servers import free_port, serve_process
from tessera import keys, signing
from tessera.config import Settings
from tessera.sealed import PREFIX, Keyring, Unsealable, new_key, parse_key
from tessera.store import Store, open_store


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_env(monkeypatch)
    for name in ("TESSERA_ENCRYPTION_KEY", "TESSERA_PREVIOUS_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)


def keyring(text: str | None) -> Keyring:
    return Keyring(None if text is None else parse_key(text))


def with_signing_key(database_url: str, secret: str, encryption_key: str | None) -> str:
    """Bootstrap the default instance and make its signing key, sealed under
    ``encryption_key`` (plaintext if None); the key's PEM."""

    async def run() -> str:
        store = await open_store(database_url, keyring=keyring(encryption_key))
        try:
            now = datetime.now(UTC)
            await keys.bootstrap(store, secret, now=now)
            instance = await store.instances.first()
            assert instance is not None
            return (await signing.current(store, instance.id, now=now)).private_pem
        finally:
            await store.close()

    return asyncio.run(run())


def stored_values(database_url: str) -> list[str]:
    async def read(store: Store) -> list[str]:
        rows = await store.db.fetchall("SELECT private_key FROM signing_keys")
        return [r[0] for r in rows]

    return in_store(database_url, read)


def serve(database_url: str, secret: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`tessera serve` that is expected to refuse to start."""
    full = {**os.environ, "TESSERA_DATABASE_URL": database_url, "TESSERA_SECRET_KEY": secret}
    return subprocess.run(
        [sys.executable, "-m", "tessera", "serve", "--port", str(free_port())],
        env={**full, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def signs_in(port: int, secret: str) -> None:
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}) as api:
        response = sign_in(base, new_token(api)["token"])
    assert response.status_code == 200, response.text
    verify(base, session_jwt(response))


def test_with_an_encryption_key_the_database_holds_no_pem(
    database_url: str, secret_key: str, tmp_path: Path
) -> None:
    """A server with TESSERA_ENCRYPTION_KEY seals the key it makes: the stored value is
    sealed:v1:…, no PEM is in the SQLite file or its WAL, and sign-ins verify."""
    encryption_key = new_key()
    port = free_port()
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_SECRET_KEY": secret_key}
    env["TESSERA_ENCRYPTION_KEY"] = encryption_key
    log = tmp_path / "serve.log"
    with serve_process(env, port, log=log):
        signs_in(port, secret_key)
    (value,) = stored_values(database_url)
    assert value.startswith(PREFIX) and "PRIVATE KEY" not in value
    pem = keyring(encryption_key).open(value, context=_kid(database_url))
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                assert b"PRIVATE KEY" not in file.read_bytes(), file
    assert "unencrypted" not in log.read_text()


def _kid(database_url: str) -> str:
    async def read(store: Store) -> str:
        row = await store.db.fetchone("SELECT id FROM signing_keys")
        assert row is not None
        return str(row[0])

    return in_store(database_url, read)


def test_a_server_that_cannot_open_the_keys_refuses_to_start_in_one_sentence(
    database_url: str, secret_key: str
) -> None:
    """Keys sealed under one key: a wrong key, or none, is refused with one line, exit 2."""
    with_signing_key(database_url, secret_key, new_key())
    wrong = serve(database_url, secret_key, TESSERA_ENCRYPTION_KEY=new_key())
    assert wrong.returncode == 2
    assert wrong.stderr == (
        "tessera: error: The signing keys in this database do not open with "
        "TESSERA_ENCRYPTION_KEY: set it to the key they were sealed with (to move to a new "
        "key, give the old one as TESSERA_PREVIOUS_ENCRYPTION_KEY and run `tessera "
        "signing-keys rewrap`).\n"
    )
    missing = serve(database_url, secret_key)
    assert missing.returncode == 2
    assert missing.stderr == (
        "tessera: error: The signing keys in this database are encrypted and "
        "TESSERA_ENCRYPTION_KEY is not set: set it to the key they were sealed with.\n"
    )
    malformed = serve(database_url, secret_key, TESSERA_ENCRYPTION_KEY="short")
    assert malformed.returncode == 2
    assert "tessera keygen --encryption-key" in malformed.stderr
    assert malformed.stderr.count("\n") == 1


def test_rewrap_moves_every_key_to_the_new_encryption_key(
    database_url: str,
    secret_key: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rewrap with the old key as TESSERA_PREVIOUS_ENCRYPTION_KEY: the server then starts
    with the new key alone and signs in; the old key no longer opens anything."""
    old, new = new_key(), new_key()
    pem = with_signing_key(database_url, secret_key, old)
    monkeypatch.setenv("TESSERA_ENCRYPTION_KEY", new)
    monkeypatch.setenv("TESSERA_PREVIOUS_ENCRYPTION_KEY", old)
    result = runner(capsys, "--database-url", database_url)("signing-keys", "rewrap")
    assert (result.code, result.err) == (
        0,
        "tessera: sealed 1 private keys under TESSERA_ENCRYPTION_KEY.\n",
    ), result.err
    (value,) = stored_values(database_url)
    kid = _kid(database_url)
    assert keyring(new).open(value, context=kid) == pem
    with pytest.raises(Unsealable):
        keyring(old).open(value, context=kid)

    monkeypatch.delenv("TESSERA_PREVIOUS_ENCRYPTION_KEY")
    port = free_port()
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_SECRET_KEY": secret_key}
    with serve_process({**env, "TESSERA_ENCRYPTION_KEY": new}, port):
        signs_in(port, secret_key)
    assert serve(database_url, secret_key, TESSERA_ENCRYPTION_KEY=old).returncode == 2


def test_rewrap_seals_plaintext_keys_and_needs_a_key(
    database_url: str,
    secret_key: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keys stored before an encryption key was set are sealed by rewrap; without
    TESSERA_ENCRYPTION_KEY, rewrap is a usage error and changes nothing."""
    pem = with_signing_key(database_url, secret_key, None)
    cli = runner(capsys, "--database-url", database_url)
    refused = cli("signing-keys", "rewrap")
    assert refused.code == 2 and "set TESSERA_ENCRYPTION_KEY" in refused.err
    assert stored_values(database_url) == [pem]
    key = new_key()
    monkeypatch.setenv("TESSERA_ENCRYPTION_KEY", key)
    assert cli("signing-keys", "rewrap").code == 0
    (value,) = stored_values(database_url)
    assert value.startswith(PREFIX)
    assert keyring(key).open(value, context=_kid(database_url)) == pem


def test_without_an_encryption_key_serve_warns_exactly_once(
    database_url: str, secret_key: str, tmp_path: Path
) -> None:
    """Two workers, one start: one WARNING that signing keys are stored unencrypted."""
    port, log = free_port(), tmp_path / "serve.log"
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_SECRET_KEY": secret_key}
    with serve_process(env, port, "--workers", "2", log=log):
        signs_in(port, secret_key)
    warnings = [line for line in log.read_text().splitlines() if " WARNING " in line]
    assert len(warnings) == 1, warnings
    assert "signing keys are stored unencrypted" in warnings[0]


def test_a_sealed_value_is_bound_to_its_key_id() -> None:
    """The key id is the associated data: a sealed value moved to another row does not open."""
    ring = keyring(new_key())
    sealed = ring.seal("-----BEGIN PRIVATE KEY-----", context="jwk_a")
    assert ring.open(sealed, context="jwk_a") == "-----BEGIN PRIVATE KEY-----"
    with pytest.raises(Unsealable):
        ring.open(sealed, context="jwk_b")
    assert "BEGIN" not in sealed and sealed != ring.seal("x", context="jwk_a")


def test_the_encryption_key_never_shows_in_a_repr() -> None:
    text = new_key()
    settings = Settings.from_env({"TESSERA_ENCRYPTION_KEY": text})
    assert settings.keyring.encrypts
    for shown in (repr(settings), repr(settings.keyring), str(settings.keyring)):
        assert text not in shown and repr(parse_key(text)) not in shown
