"""Versioned migrations on SQLite and PostgreSQL: applied once, safely at once, never backwards."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading

import pytest

from servers import free_port
from tessera import cli
from tessera.store import SchemaTooNew, open_store
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


def test_two_nodes_opening_an_empty_database_at_once_both_succeed(empty_database_url: str) -> None:
    """Two processes' stores opening (and migrating) the same empty database at the same
    moment both open it, and every migration is applied once."""
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    async def open_and_close() -> None:
        barrier.wait(30)
        store = await open_store(empty_database_url)
        await store.close()

    def node() -> None:
        try:
            asyncio.run(open_and_close())
        except BaseException as exc:
            failures.append(exc)

    nodes = [threading.Thread(target=node) for _ in range(2)]
    for thread in nodes:
        thread.start()
    for thread in nodes:
        thread.join(60)
    assert failures == []
    assert asyncio.run(versions(empty_database_url)) == [v for v, _ in migrations()]


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
    assert "is up to date" in capsys.readouterr().out
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
