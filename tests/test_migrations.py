"""Versioned migrations on SQLite and PostgreSQL: applied once, safely at once, never backwards."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from servers import free_port
from tessera import cli, crypto, ids, keys, redemption, users
from tessera.errors import SignInTokenAlreadyUsed
from tessera.models import SignInToken
from tessera.store import SchemaTooNew, open_store
from tessera.store import database as database_module
from tessera.store.database import migrations

NEWEST = migrations()[-1][0]


async def versions(url: str) -> list[int]:
    store = await open_store(url)
    try:
        rows = await store.db.fetchall("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        await store.close()
    return [row[0] for row in rows]


async def mark_newer(url: str) -> None:
    """Record a migration this code does not know, as a newer Tessera would have."""
    store = await open_store(url)
    try:
        await store.db.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", NEWEST + 1
        )
    finally:
        await store.close()


async def test_reopening_a_migrated_database_applies_nothing_again(empty_database_url: str) -> None:
    """Opening twice leaves each known migration recorded exactly once."""
    first = await versions(empty_database_url)
    assert first == sorted({v for v, _ in migrations()})
    assert await versions(empty_database_url) == first


def first_start_at_once(database_url: str, secret_key: str, nodes: int) -> None:
    """``nodes`` threads, each opening its own store on the database and bootstrapping it
    with ``secret_key`` at the same moment, as nodes started together do."""
    barrier = threading.Barrier(nodes)
    failures: list[BaseException] = []

    async def start() -> None:
        barrier.wait(30)
        store = await open_store(database_url)
        try:
            await keys.bootstrap(store, secret_key, now=datetime.now(UTC))
        finally:
            await store.close()

    def node() -> None:
        try:
            asyncio.run(start())
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=node) for _ in range(nodes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []


def test_nodes_starting_on_an_empty_database_at_once_migrate_it_once(
    empty_database_url: str,
) -> None:
    """Three nodes opening (and migrating) one empty database at the same moment all start,
    and every migration is applied once."""
    first_start_at_once(empty_database_url, keys.new_secret_key(), 3)
    assert asyncio.run(versions(empty_database_url)) == [v for v, _ in migrations()]


def test_nodes_starting_at_once_make_one_default_instance_their_key_opens(
    empty_database_url: str,
) -> None:
    """Three nodes bootstrapping one empty database with one secret key at the same moment
    make a single default instance, and the key opens it."""
    secret = keys.new_secret_key()
    first_start_at_once(empty_database_url, secret, 3)

    async def check() -> None:
        store = await open_store(empty_database_url)
        try:
            [instance] = await store.instances.all()
            assert await keys.authenticate(store, secret) == instance.id
        finally:
            await store.close()

    asyncio.run(check())


async def test_a_schema_newer_than_this_code_is_refused_with_a_sentence(
    empty_database_url: str,
) -> None:
    """A database migrated past the newest known version is refused, saying to upgrade."""
    await mark_newer(empty_database_url)
    with pytest.raises(SchemaTooNew) as caught:
        await open_store(empty_database_url)
    assert caught.value.long_message == (
        f"The database schema is at version {NEWEST + 1}, newer than the {NEWEST} this "
        "Tessera knows: upgrade Tessera before serving this database."
    )


def test_tessera_migrate_creates_the_schema(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tessera migrate` brings an empty database to the newest version and exits 0."""
    monkeypatch.setenv("TESSERA_DATABASE_URL", empty_database_url)
    assert cli.main(["migrate"]) == 0
    assert "created the schema" in capsys.readouterr().out
    assert asyncio.run(versions(empty_database_url))[-1] == NEWEST


def test_migrate_refuses_a_newer_schema(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tessera migrate` stops with exit code 2 and the sentence, changing nothing."""
    asyncio.run(mark_newer(empty_database_url))
    monkeypatch.setenv("TESSERA_DATABASE_URL", empty_database_url)
    assert cli.main(["migrate"]) == 2
    assert "upgrade Tessera before serving this database" in capsys.readouterr().err


def test_serve_refuses_a_newer_schema(empty_database_url: str) -> None:
    """`tessera serve` exits with code 2 and the sentence instead of serving."""
    asyncio.run(mark_newer(empty_database_url))
    env = {**os.environ, "TESSERA_DATABASE_URL": empty_database_url}
    done = subprocess.run(
        [sys.executable, "-m", "tessera", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "upgrade Tessera before serving this database" in done.stderr


async def test_tickets_issued_before_tickets_named_their_token_still_redeem_once(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at version 3 holds first-format tickets (tsit_ + 43 + 6, found by hash);
    after migrating, every token is kept as it was and such a ticket redeems, once."""
    with monkeypatch.context() as before:
        before.setattr(database_module, "migrations", lambda: migrations()[:3])
        store = await open_store(empty_database_url)
    now = datetime.now(UTC)
    try:
        instance = await keys.create_instance(store, "old", now=now)
        user = await users.create(store, instance.id, now=now)
        tickets = [crypto.new_secret("tsit_") for _ in range(2)]
        for ticket in tickets:
            await store.tokens.insert(
                SignInToken(
                    id=ids.new_id("sit", now),
                    instance_id=instance.id,
                    user_id=user.id,
                    token_hash=crypto.hash_secret(ticket),
                    status="pending",
                    expires_at=now + timedelta(days=1),
                    created_at=now,
                    updated_at=now,
                )
            )
        kept, _ = await store.tokens.search(
            instance.id, user_id=None, status=None, limit=10, offset=0
        )
    finally:
        await store.close()

    store = await open_store(empty_database_url)
    try:
        after, _ = await store.tokens.search(
            instance.id, user_id=None, status=None, limit=10, offset=0
        )
        assert after == kept
        first = await redemption.redeem(store, tickets[0], now=now, public_url="http://t")
        assert first.session.user_id == user.id
        with pytest.raises(SignInTokenAlreadyUsed):
            await redemption.redeem(store, tickets[0], now=now, public_url="http://t")
        second = await redemption.preview(store, tickets[1], now=now)
        assert second.unusable is None
    finally:
        await store.close()
