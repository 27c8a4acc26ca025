"""A live secret key is remembered between requests, yet a revoked one is refused at once:
by the same connection, by another one (a CLI, another worker), and while requests pour in."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from cli_helpers import Cli
from conftest import make_user
from servers import Running
from tessera import keys
from tessera.errors import SecretKeyInvalid
from tessera.store import Store, open_store

NOW = datetime(2026, 11, 28, tzinfo=UTC)


async def a_key(store: Store) -> tuple[str, str, str]:
    """(instance id, key id, secret) of a new instance's new key."""
    instance = await keys.create_instance(store, "memo", now=NOW)
    key, secret = await keys.create_key(store, instance.id, now=NOW)
    return instance.id, key.id, secret


async def test_a_key_revoked_on_the_same_connection_is_refused_at_once(store: Store) -> None:
    instance_id, key_id, secret = await a_key(store)
    assert await keys.authenticate(store, secret) == instance_id
    assert await keys.authenticate(store, secret) == instance_id  # from the memo on SQLite
    await keys.revoke_key(store, instance_id, key_id, now=NOW)
    with pytest.raises(SecretKeyInvalid):
        await keys.authenticate(store, secret)


async def test_a_key_revoked_in_a_transaction_is_refused_at_once(store: Store) -> None:
    instance_id, key_id, secret = await a_key(store)
    assert await keys.authenticate(store, secret) == instance_id
    async with store.exclusive() as tx:
        assert await tx.instances.revoke_key(instance_id, key_id, now=NOW)
    with pytest.raises(SecretKeyInvalid):
        await keys.authenticate(store, secret)


async def test_a_key_revoked_by_another_connection_is_refused_on_the_next_turn(
    store: Store, database_url: str
) -> None:
    """Another connection's commit empties the memo before the next turn of the loop (every
    request runs in a later turn than the bytes that carried it)."""
    instance_id, key_id, secret = await a_key(store)
    assert await keys.authenticate(store, secret) == instance_id
    other = await open_store(database_url)
    try:
        await keys.revoke_key(other, instance_id, key_id, now=NOW)
    finally:
        await other.close()
    await asyncio.sleep(0)
    with pytest.raises(SecretKeyInvalid):
        await keys.authenticate(store, secret)


async def test_made_up_keys_are_not_remembered(store: Store) -> None:
    """Only live keys are kept (on SQLite; PostgreSQL keeps none): a flood of well-formed
    unknown keys leaves the memo as it was."""
    _, _, secret = await a_key(store)
    await keys.authenticate(store, secret)
    before = dict(store.db.memo())
    assert len(before) == (1 if store.db.dialect == "sqlite" else 0)
    for _ in range(200):
        with pytest.raises(SecretKeyInvalid):
            await keys.authenticate(store, keys.new_secret_key())
    assert store.db.memo() == before


def test_a_key_revoked_from_the_cli_under_load_is_refused_by_the_next_request(
    server: Running, api: httpx.Client, direct: Cli
) -> None:
    """While one key keeps the server busy, another key, used and so remembered, is revoked
    from another process's connection: the first request after that is refused; the busy
    key goes on working."""
    user_id = make_user(api)["id"]
    body = {"user_id": user_id}
    created = direct("api-keys", "create", "--json").json()
    with server.client(created["secret"]) as doomed:
        assert doomed.post("/v1/sign_in_tokens", json={"user_id": user_id}).status_code == 200

        stop, answers = threading.Event(), []

        def load() -> None:
            with server.client() as busy:
                while not stop.is_set():
                    answers.append(
                        busy.post("/v1/sign_in_tokens", json={"user_id": user_id}).status_code
                    )

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        try:
            while len(answers) < 20:
                assert doomed.post("/v1/sign_in_tokens", json=body).status_code == 200
            assert direct("api-keys", "revoke", created["id"]).code == 0
            refused = doomed.post("/v1/sign_in_tokens", json={"user_id": user_id})
            seen = len(answers)
            while len(answers) < seen + 20:
                time.sleep(0.001)
        finally:
            stop.set()
            for worker in workers:
                worker.join(30)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "clerk_key_invalid"
    assert set(answers) == {200}
