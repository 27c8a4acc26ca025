"""`tessera tokens issue`: bulk links from a CSV, in both modes, resumable after a real kill."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import Cli, clear_env
from conftest import in_store
from servers import Running
from tessera import tokens, users
from tessera.cli.ledger import Journal
from tessera.clock import system_clock
from tessera.store import Store


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_env(monkeypatch)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_links(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def make_users(database_url: str, count: int, prefix: str = "u") -> list[str]:
    """``count`` users ``{prefix}{n}@example.com`` (external id ``{prefix}{n}``); their ids."""

    async def create(store: Store) -> list[str]:
        instance = await store.instances.first()
        assert instance is not None
        made = []
        for n in range(count):
            user = await users.create(
                store,
                instance.id,
                email_addresses=[f"{prefix}{n}@example.com"],
                external_id=f"{prefix}{n}",
                now=system_clock(),
            )
            made.append(user.id)
        return made

    return in_store(database_url, create)


def pending_by_user(database_url: str) -> Counter[str]:
    """How many pending tokens each user of the default instance holds."""

    async def read(store: Store) -> Counter[str]:
        instance = await store.instances.first()
        assert instance is not None
        found, _ = await store.tokens.search(
            instance.id, user_id=None, status="pending", limit=10**6, offset=0
        )
        return Counter(t.user_id for t in found)

    return in_store(database_url, read)


def test_issue_finds_users_by_id_email_and_external_id(
    cli: Cli, server: Running, tmp_path: Path
) -> None:
    """Each kind of identifier finds its user; every link is recorded with the user's ids."""
    ids = make_users(server.database_url, 3)
    source = write_csv(
        tmp_path / "users.csv",
        ["user_id", "email", "external_id"],
        [[ids[0], "", ""], ["", "U1@Example.com", ""], ["", "", "u2"]],
    )
    out = tmp_path / "links.csv"
    result = cli("tokens", "issue", "--csv", str(source), "--out", str(out), "--expires", "1h")
    assert result.code == 0, result.err
    links = read_links(out)
    assert [(r["line"], r["user_id"]) for r in links] == [
        ("2", ids[0]),
        ("3", ids[1]),
        ("4", ids[2]),
    ]
    assert links[1]["email"] == "u1@example.com" and links[2]["external_id"] == "u2"
    assert all(
        r["url"].startswith(f"{server.base_url}/v1/tickets/accept?ticket=tsit_") for r in links
    )
    assert result.out.startswith("issued 3 links in ")
    assert not (tmp_path / "links.csv.journal").exists()
    assert pending_by_user(server.database_url) == Counter(ids)


def test_a_rerun_skips_every_row_already_issued(cli: Cli, server: Running, tmp_path: Path) -> None:
    """Running the same issue twice issues nothing the second time (JSON summary)."""
    ids = make_users(server.database_url, 4)
    source = write_csv(tmp_path / "in.csv", ["email"], [[f"u{n}@example.com"] for n in range(4)])
    out = tmp_path / "out.csv"
    first = cli("tokens", "issue", "--csv", str(source), "--out", str(out), "--json").json()
    again = cli("tokens", "issue", "--csv", str(source), "--out", str(out), "--json").json()
    assert (first["issued"], first["skipped"]) == (4, 0)
    assert (again["issued"], again["skipped"], again["failed"]) == (0, 4, 0)
    assert len(read_links(out)) == 4
    assert pending_by_user(server.database_url) == Counter(ids)


def test_bad_rows_are_reported_by_line_and_the_run_goes_on(
    cli: Cli, server: Running, tmp_path: Path
) -> None:
    """Unknown users, bad emails and empty identifiers fail alone; exit 1 lists their lines."""
    ids = make_users(server.database_url, 2)
    source = write_csv(
        tmp_path / "in.csv",
        ["email", "user_id", "first_name"],
        [
            ["u0@example.com", "", ""],
            ["nobody@example.com", "", ""],  # line 3
            ["not an email", "", ""],  # line 4
            ["", "", "Only A Name"],  # line 5
            ["", "user_" + "0" * 27, ""],  # line 6
            ["u1@example.com", "", ""],
            ["u0@example.com", "", ""],  # the same user again: skipped, not doubled
        ],
    )
    out = tmp_path / "out.csv"
    result = cli("tokens", "issue", "--csv", str(source), "--out", str(out))
    assert result.code == 1
    problems = [line for line in result.err.splitlines() if ": line " in line]
    assert problems == [
        "tessera: line 3: no user with email nobody@example.com (--create-missing creates it).",
        "tessera: line 4: email_address must be a valid email address.",
        "tessera: line 5: no user_id, email or external_id.",
        f"tessera: line 6: No user was found with id user_{'0' * 27}.",
    ]
    assert "failed lines: 3, 4, 5, 6" in result.out
    assert [r["user_id"] for r in read_links(out)] == [ids[0], ids[1]]
    assert pending_by_user(server.database_url) == Counter(ids)


def test_create_missing_creates_unknown_users(cli: Cli, server: Running, tmp_path: Path) -> None:
    """--create-missing makes users from the row's email, external id and names."""
    source = write_csv(
        tmp_path / "in.csv",
        ["email", "external_id", "first_name", "last_name"],
        [["new@example.com", "crm-9", "Nia", "Obi"], ["", "crm-10", "", ""]],
    )
    out = tmp_path / "out.csv"
    result = cli(
        "tokens", "issue", "--csv", str(source), "--out", str(out), "--create-missing", "--json"
    )
    assert result.code == 0, result.err
    assert result.json()["created_users"] == 2
    made = cli("users", "list", "--json", "--email", "new@example.com").json()[0]
    assert (made["external_id"], made["first_name"], made["last_name"]) == ("crm-9", "Nia", "Obi")
    links = read_links(out)
    assert links[0]["user_id"] == made["id"] and links[1]["external_id"] == "crm-10"


def test_unusable_files_are_usage_errors(cli: Cli, tmp_path: Path) -> None:
    """No identifier column, a missing input, or an --out that is not ours: exit 2, one line."""
    no_ids = write_csv(tmp_path / "names.csv", ["first_name"], [["Ann"]])
    good = write_csv(tmp_path / "good.csv", ["email"], [["a@example.com"]])
    foreign = write_csv(tmp_path / "foreign.csv", ["a", "b"], [["1", "2"]])
    cases = [
        (no_ids, tmp_path / "o1.csv", "needs a header row naming a user_id, email or external_id"),
        (tmp_path / "absent.csv", tmp_path / "o2.csv", "cannot read"),
        (good, foreign, "is not the output of `tessera tokens issue`"),
        (good, good, "--out must not be the --csv file"),
    ]
    for source, out, message in cases:
        result = cli("tokens", "issue", "--csv", str(source), "--out", str(out))
        assert result.code == 2 and message in result.err and result.err.count("\n") == 1


def test_a_token_created_but_never_recorded_is_revoked_and_reissued(
    cli: Cli, server: Running, tmp_path: Path
) -> None:
    """What a kill between create and record leaves (a journal entry, an unrecorded pending
    token) is repaired by the rerun: that token is revoked and a recorded one replaces it."""
    ids = make_users(server.database_url, 2)
    source = write_csv(tmp_path / "in.csv", ["user_id"], [[ids[0]], [ids[1]]])
    first_row = write_csv(tmp_path / "one.csv", ["user_id"], [[ids[0]]])
    out = tmp_path / "out.csv"
    assert cli("tokens", "issue", "--csv", str(first_row), "--out", str(out)).code == 0

    async def lost_create(store: Store) -> str:
        instance = await store.instances.first()
        assert instance is not None
        token, _ = await tokens.create(
            store,
            instance.id,
            ids[1],
            expires_in_seconds=None,
            max_lifetime=None,
            now=system_clock(),
        )
        return token.id

    since = int(time.time() * 1000) - 600_000
    (tmp_path / "out.csv.journal").write_text(f"{ids[0]},{since}\n{ids[1]},{since}\n")
    lost = in_store(server.database_url, lost_create)

    rerun = cli("tokens", "issue", "--csv", str(source), "--out", str(out))
    assert rerun.code == 0, rerun.err
    assert f"revoked {lost} of {ids[1]}" in rerun.err
    links = read_links(out)
    assert [r["user_id"] for r in links] == ids and links[1]["sign_in_token_id"] != lost
    assert pending_by_user(server.database_url) == Counter(ids)
    assert cli("tokens", "get", lost, "--json").json()["status"] == "revoked"


def wait_for_rows(path: Path, rows: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") > rows:
            return
        time.sleep(0.02)
    raise AssertionError(f"the issue stopped or stalled before {rows} rows: {proc.poll()}")


# Enough rows that a stop lands in the middle of a steady run, few enough for CI's budget.
ROWS = 4_000


def interrupted_then_rerun(
    argv: list[str], env: dict[str, str], out: Path, stop: signal.Signals
) -> subprocess.CompletedProcess[str]:
    """Start the issue as a process, stop it with ``stop`` halfway, then run it again."""
    command = [sys.executable, "-m", "tessera", *argv]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_rows(out, ROWS // 2, proc)
        proc.send_signal(stop)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == (-signal.SIGKILL if stop == signal.SIGKILL else 130)
    assert ROWS // 2 <= len(read_links(out)) < ROWS
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def assert_exactly_one_link_each(out: Path, database_url: str, ids: list[str]) -> None:
    links = read_links(out)
    assert len(links) == ROWS
    assert sorted(r["user_id"] for r in links) == sorted(ids)
    assert pending_by_user(database_url) == Counter(ids)  # nobody holds two


def env_for(server: Running, **extra: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    return {**env, "TESSERA_PUBLIC_URL": server.base_url, **extra}


@pytest.mark.slow
def test_thousands_of_rows_killed_halfway_and_rerun_give_one_link_each(
    server: Running, tmp_path: Path
) -> None:
    """Direct mode, SIGKILL halfway: the rerun ends with one link per user, ROWS in all."""
    ids = make_users(server.database_url, ROWS)
    source = write_csv(tmp_path / "in.csv", ["email"], [[f"u{n}@example.com"] for n in range(ROWS)])
    out = tmp_path / "links.csv"
    argv = ["tokens", "issue", "--csv", str(source), "--out", str(out), "--json"]
    env = env_for(server, TESSERA_DATABASE_URL=server.database_url)
    rerun = interrupted_then_rerun(argv, env, out, signal.SIGKILL)
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    assert_exactly_one_link_each(out, server.database_url, ids)


@pytest.mark.slow
# The server's side is every create test's, on both databases; this one is about the CLI
# stopping and resuming, which is the same whatever the server stores in: SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_thousands_of_rows_over_the_api_interrupted_and_rerun(
    server: Running, tmp_path: Path
) -> None:
    """API mode, Ctrl-C halfway: exit 130 with nothing in flight; the rerun completes."""
    ids = make_users(server.database_url, ROWS)
    source = write_csv(tmp_path / "in.csv", ["user_id"], [[i] for i in ids])
    out = tmp_path / "links.csv"
    argv = [
        "tokens",
        "issue",
        "--csv",
        str(source),
        "--out",
        str(out),
        "--json",
        "--api-url",
        server.base_url,
    ]
    env = env_for(server, TESSERA_SECRET_KEY=server.secret_key)
    rerun = interrupted_then_rerun(argv, env, out, signal.SIGINT)
    assert rerun.returncode == 0, rerun.stderr
    assert_exactly_one_link_each(out, server.database_url, ids)


@pytest.mark.parametrize(
    ("progress", "expected"), [("lines", "3/3 rows, "), ("bar", "3/3")], ids=["lines", "bar"]
)
def test_progress_shows_count_and_rate_on_stderr(
    cli: Cli, server: Running, tmp_path: Path, progress: str, expected: str
) -> None:
    """Plain lines (off a terminal) and the Rich bar both show rows done and rows per second."""
    make_users(server.database_url, 3)
    source = write_csv(tmp_path / "in.csv", ["external_id"], [[f"u{n}"] for n in range(3)])
    out = tmp_path / "out.csv"
    result = cli("tokens", "issue", "--csv", str(source), "--out", str(out), "--progress", progress)
    assert result.code == 0
    assert expected in result.err and "rows/s" in result.err
    assert result.out.startswith("issued 3 links")


def mode_of(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_links_file_is_private_new_or_appended(cli: Cli, server: Running, tmp_path: Path) -> None:
    """links.csv holds live links: created 0600 whatever the umask, and made 0600 when a
    rerun appends to one that was readable by others."""
    make_users(server.database_url, 2)
    source = write_csv(tmp_path / "in.csv", ["email"], [["u0@example.com"]])
    out = tmp_path / "links.csv"
    old_umask = os.umask(0o022)
    try:
        assert cli("tokens", "issue", "--csv", str(source), "--out", str(out)).code == 0
        assert mode_of(out) == 0o600
        out.chmod(0o644)
        write_csv(source, ["email"], [["u0@example.com"], ["u1@example.com"]])
        assert cli("tokens", "issue", "--csv", str(source), "--out", str(out)).code == 0
    finally:
        os.umask(old_umask)
    assert mode_of(out) == 0o600
    assert len(read_links(out)) == 2


def test_journal_is_private_new_or_reused(tmp_path: Path) -> None:
    """The journal names the user whose link is being made: 0600, also over an old one."""
    path = tmp_path / "links.csv.journal"
    old_umask = os.umask(0o022)
    try:
        for _ in range(2):
            journal = Journal(path)
            journal.start()
            journal.intent("user_x", 1)
            journal.close()
            assert mode_of(path) == 0o600
            path.chmod(0o644)
    finally:
        os.umask(old_umask)
