"""The SQLite file at rest: private to its owner, erased secrets gone, commits that survive a
power cut."""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tessera import signing
from tessera.errors import ConfigError
from tessera.sealed import Keyring, new_key
from tessera.store import Store, open_store
from tessera.store.sqlite import SQLiteOptions, options_from_url
from test_store import LATER, NOW, new_instance


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_and_its_wal_and_shm_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    """The file holds signing keys: 0600 for it and for the -wal and -shm SQLite adds."""
    db = tmp_path / "tessera.db"
    old = os.umask(0o022)
    try:
        store = await open_store(f"sqlite:///{db}")
    finally:
        os.umask(old)
    try:
        await new_instance(store)
        files = [db, tmp_path / "tessera.db-wal", tmp_path / "tessera.db-shm"]
        assert [(f.name, 0o600) for f in files] == [(f.name, mode(f)) for f in files]
    finally:
        await store.close()


async def test_an_existing_world_readable_database_is_closed_to_others(tmp_path: Path) -> None:
    """A file made by an older version (0644) loses the permissions of others when opened."""
    db = tmp_path / "tessera.db"
    await (await open_store(f"sqlite:///{db}")).close()
    db.chmod(0o644)
    store = await open_store(f"sqlite:///{db}")
    try:
        assert mode(db) == 0o640
    finally:
        await store.close()


async def _rotate(store: Store, instance_id: str) -> None:
    await signing.rotate(store, instance_id, now=LATER)


async def _revoke(store: Store, instance_id: str) -> None:
    key = await signing.current(store, instance_id, now=NOW)
    await signing.revoke(store, instance_id, key.id, now=LATER)


async def _rewrap(store: Store, instance_id: str) -> None:
    """Seal the plaintext key under a new encryption key: its plaintext must be gone."""
    store.signing_keys.keyring = Keyring.from_env({"TESSERA_ENCRYPTION_KEY": new_key()})
    assert await signing.rewrap(store) == 1


@pytest.mark.parametrize("erase", [_rotate, _revoke, _rewrap], ids=["rotate", "revoke", "rewrap"])
async def test_an_erased_private_key_is_left_in_neither_the_database_nor_its_wal(
    tmp_path: Path, erase: Callable[[Store, str], Awaitable[None]]
) -> None:
    """After a rotation, a revocation or a rewrap erases a private key's plaintext, its PEM
    is found in no file."""
    db = tmp_path / "tessera.db"
    store = await open_store(f"sqlite:///{db}")
    try:
        instance = await new_instance(store)
        old = await signing.current(store, instance.id, now=NOW)
        await erase(store, instance.id)
        pem = old.private_pem.encode()
        # 32-byte pieces of its base64, past the first line (the same in every RSA key)
        pieces = [pem[i : i + 32] for i in range(92, len(pem) - 60, 32)]
        for name in ("tessera.db", "tessera.db-wal"):
            path = tmp_path / name
            data = path.read_bytes() if path.exists() else b""
            assert [p for p in pieces if p in data] == [], name
    finally:
        await store.close()


async def test_commits_wait_for_the_disk_unless_the_url_says_otherwise(tmp_path: Path) -> None:
    """synchronous=FULL (2) by default: a power cut loses no answered commit;
    ``?synchronous=normal`` (1) is the operator's choice."""
    full = await open_store(f"sqlite:///{tmp_path / 'full.db'}")
    normal = await open_store(f"sqlite:///{tmp_path / 'normal.db'}?synchronous=normal")
    try:
        assert await full.db.fetchall("PRAGMA synchronous") == [(2,)]
        assert await normal.db.fetchall("PRAGMA synchronous") == [(1,)]
    finally:
        await full.close()
        await normal.close()


def test_the_url_options_are_read_and_a_wrong_one_is_refused_with_a_sentence() -> None:
    """busy_timeout in milliseconds, synchronous by name; anything else is a ConfigError."""
    assert options_from_url("sqlite:////srv/t.db?busy_timeout=250&synchronous=NORMAL") == (
        SQLiteOptions("/srv/t.db", busy_timeout=0.25, synchronous="normal")
    )
    assert options_from_url("sqlite:///./t.db") == SQLiteOptions("./t.db", 5.0, "full")
    for url, says in [
        ("sqlite:///t.db?timeout=5", "Unknown SQLite URL option 'timeout'"),
        ("sqlite:///t.db?busy_timeout=5s", "give the milliseconds"),
        ("sqlite:///t.db?synchronous=off", "use full, normal or extra"),
    ]:
        with pytest.raises(ConfigError, match=says):
            options_from_url(url)
