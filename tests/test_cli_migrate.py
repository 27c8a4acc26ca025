"""`tessera migrate`: the database it acts on, what it says, and what it leaves ready."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import Cli, clear_env, runner
from conftest import in_store
from databases import NEWEST
from tessera.store import Store
from tessera.store import database as database_module
from tessera.store.database import migrations


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_env(monkeypatch)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # a stray ./tessera.db would land here, and be seen


@pytest.fixture
def tessera(capsys: pytest.CaptureFixture[str]) -> Cli:
    return runner(capsys)


async def _instance_count(store: Store) -> int:
    return len(await store.instances.all())


@pytest.mark.parametrize("where", ["after", "before"])
def test_migrate_acts_on_the_database_url_given_on_either_side(
    tessera: Cli, empty_database_url: str, where: str, tmp_path: Path
) -> None:
    """`tessera migrate --database-url X` and `tessera --database-url X migrate` create the
    schema of X (never ./tessera.db), say so, and make the default instance."""
    argv = ["migrate", "--database-url", empty_database_url]
    if where == "before":
        argv = ["--database-url", empty_database_url, "migrate"]
    result = tessera(*argv)
    assert result.code == 0, result.err
    assert result.out.startswith("tessera: created the schema of ")
    assert f"(version {NEWEST})" in result.out and "default instance" in result.out
    assert "sk_" not in result.out + result.err  # no key is made, none is shown
    assert not (tmp_path / "cwd" / "tessera.db").exists()
    assert in_store(empty_database_url, _instance_count) == 1

    again = tessera(*argv)
    assert again.code == 0, again.err
    assert "is up to date" in again.out and f"(version {NEWEST})" in again.out
    assert in_store(empty_database_url, _instance_count) == 1


def test_tokens_issue_works_right_after_migrate(empty_database_url: str, tmp_path: Path) -> None:
    """The operator's path, as a shell runs it: migrate a new database, then issue links."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env["TESSERA_PUBLIC_URL"] = "https://auth.example.com"

    def tessera(*argv: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tessera", *argv]
        return subprocess.run(
            command, env=env, cwd=tmp_path / "cwd", capture_output=True, text=True, timeout=120
        )

    migrated = tessera("migrate", "--database-url", empty_database_url)
    assert migrated.returncode == 0, migrated.stderr
    assert "created the schema" in migrated.stdout
    users = tmp_path / "users.csv"
    users.write_text("email\nada@example.com\nbob@example.com\n")
    issued = tessera(
        "tokens", "issue", "--csv", str(users), "--out", str(tmp_path / "links.csv"),
        "--create-missing", "--database-url", empty_database_url,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    with (tmp_path / "links.csv").open(newline="") as handle:
        links = list(csv.DictReader(handle))
    assert [row["email"] for row in links] == ["ada@example.com", "bob@example.com"]
    assert all(row["url"].startswith("https://auth.example.com/") for row in links)


def test_migrate_says_it_upgraded_an_older_schema(
    tessera: Cli, empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database one migration behind is upgraded, and the answer names both versions."""
    with monkeypatch.context() as older:
        older.setattr(database_module, "migrations", lambda: migrations()[:-1])
        first = tessera("migrate", "--database-url", empty_database_url)
    assert first.code == 0 and f"(version {NEWEST - 1})" in first.out
    result = tessera("migrate", "--database-url", empty_database_url)
    assert result.code == 0, result.err
    assert result.out == (
        f"tessera: upgraded the schema of {empty_database_url} "
        f"from version {NEWEST - 1} to {NEWEST}.\n"
    )
