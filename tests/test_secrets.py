"""Secrets stay secret: not in the database file, not in its WAL, not in the logs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from servers import free_port, serve_process
from tessera.keys import new_secret_key


def sqlite_files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.mark.slow
def test_tickets_and_keys_are_only_hashes_in_the_sqlite_file_and_wal(tmp_path: Path) -> None:
    """After a create, the database and its WAL hold the ticket's hash, never the ticket."""
    db = tmp_path / "t.db"
    key, port = new_secret_key(), free_port()
    env = {"TESSERA_DATABASE_URL": f"sqlite:///{db}", "TESSERA_SECRET_KEY": key}
    with serve_process(env, port):
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"authorization": f"Bearer {key}"}
        )
        user = api.post("/v1/users", json={"email_address": ["s@example.com"]}).json()
        ticket = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]}).json()["token"]
        api.close()
        raw = sqlite_files(db)  # while the server runs: the row may still be only in the WAL
        assert hashlib.sha256(ticket.encode()).hexdigest().encode() in raw
        assert ticket.encode() not in raw
        assert key.encode() not in raw
        assert hashlib.sha256(key.encode()).hexdigest().encode() in raw
    raw = sqlite_files(db)  # after the checkpoint at shutdown
    assert ticket.encode() not in raw and key.encode() not in raw


@pytest.mark.slow
def test_no_ticket_or_key_reaches_the_log_at_debug_level(tmp_path: Path) -> None:
    """Every flow, successful or not, logged at DEBUG, mentions no ticket and no secret key."""
    log, key, port = tmp_path / "serve.log", new_secret_key(), free_port()
    env = {
        "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}",
        "TESSERA_SECRET_KEY": key,
        "TESSERA_LOG_LEVEL": "debug",
    }
    secrets = [key]
    with serve_process(env, port, log=log):
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {key}"}) as api:
            user = api.post("/v1/users", json={"email_address": ["log@example.com"]}).json()["id"]
            for _ in range(2):
                created = api.post("/v1/sign_in_tokens", json={"user_id": user}).json()
                secrets.append(created["token"])
                api.get(f"/v1/sign_in_tokens/{created['id']}")
                api.get(created["url"])  # whatever the link answers, it must not log the ticket
                api.get("/v1/tickets/accept", params={"ticket": created["token"] + "x"})
            api.get("/v1/sign_in_tokens", params={"user_id": user})
            api.post(f"/v1/sign_in_tokens/{created['id']}/revoke")
            api.post(f"/v1/sign_in_tokens/{created['id']}/revoke")
            api.post(f"/v1/users/{user}/sign_in_tokens/revoke")
            api.post(
                "/v1/sign_in_tokens", content=b"{", headers={"content-type": "application/json"}
            )
            api.post(f"/v1/users/{user}/ban")
            api.delete(f"/v1/users/{user}")
        wrong = new_secret_key()
        secrets.append(wrong)
        httpx.get(f"{base}/v1/users", headers={"authorization": f"Bearer {wrong}"})
        httpx.get(f"{base}/v1/users", headers={"authorization": f"Bearer {key}x"})
    text = log.read_text()
    assert "DEBUG" in text and "POST /v1/sign_in_tokens 200" in text
    for secret in secrets:
        assert secret not in text
        assert secret[-20:] not in text  # nor a recognisable piece of it
