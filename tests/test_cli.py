"""`tessera users|tokens|instances|api-keys`: every command through `main(argv)`, in both modes.

Direct mode opens the server's database file; API mode talks to the same server over
127.0.0.1 with its secret key. Both act on the same default instance.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cli_helpers import Cli, clear_env, runner
from conftest import in_store
from servers import Running
from tessera import keys
from tessera.cli import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_env(monkeypatch)


def new_user(cli: Cli, *options: str) -> dict[str, Any]:
    result = cli("users", "create", "--json", *options)
    assert result.code == 0, result.err
    user: dict[str, Any] = result.json()
    return user


def test_users_create_get_list_ban_unban_delete(cli: Cli) -> None:
    """A user's whole life from the command line: created, shown, listed, banned, deleted."""
    user = new_user(
        cli,
        "--email",
        "Ann@Example.com",
        "--external-id",
        "crm-1",
        "--first-name",
        "Ann",
        "--public-metadata",
        '{"plan": "pro"}',
    )
    assert user["email_addresses"][0]["email_address"] == "ann@example.com"
    assert user["public_metadata"] == {"plan": "pro"}

    shown = cli("users", "get", user["id"])
    assert shown.code == 0
    assert user["id"] in shown.out and "crm-1" in shown.out and "Ann" in shown.out

    listed = cli("users", "list")
    assert listed.code == 0
    assert user["id"] in listed.out and "ann@example.com" in listed.out
    by_email = cli("users", "list", "--json", "--email", "ann@example.com")
    assert [u["id"] for u in by_email.json()] == [user["id"]]
    assert cli("users", "list", "--json", "--external-id", "nobody").json() == []

    assert cli("users", "ban", user["id"], "--json").json()["banned"] is True
    assert cli("users", "unban", user["id"], "--json").json()["banned"] is False

    deleted = cli("users", "delete", user["id"])
    assert (deleted.code, deleted.out) == (0, f"deleted user {user['id']}\n")
    gone = cli("users", "get", user["id"])
    assert (gone.code, gone.out) == (1, "")
    assert gone.err == f"tessera: error: no such user {user['id']}.\n"


def test_users_create_refuses_a_taken_email_in_one_line(cli: Cli) -> None:
    """A refused create exits 1 with Clerk's message, one line on stderr."""
    new_user(cli, "--email", "bo@example.com")
    again = cli("users", "create", "--email", "bo@example.com")
    assert again.code == 1
    assert again.err == "tessera: error: That email_address is taken. Please try another.\n"


def test_tokens_create_prints_only_the_link_and_json_the_whole_object(
    cli: Cli, server: Running
) -> None:
    """`tokens create` prints the link alone; with --json, the SignInToken with token and url."""
    user = new_user(cli, "--email", "cy@example.com")
    plain = cli("tokens", "create", "--user", user["id"])
    assert plain.code == 0
    assert plain.out.startswith(f"{server.base_url}/v1/tickets/accept?ticket=tsit_")
    assert plain.out.count("\n") == 1

    token = cli("tokens", "create", "--user", user["id"], "--json").json()
    assert set(token) == {
        "object",
        "id",
        "status",
        "user_id",
        "token",
        "url",
        "created_at",
        "updated_at",
    }
    assert token["url"] == f"{server.base_url}/v1/tickets/accept?ticket={token['token']}"
    assert token["status"] == "pending"


def test_tokens_create_honours_expires(cli: Cli, server: Running) -> None:
    """--expires 10m makes a token that expires 600 seconds after it was created."""
    user = new_user(cli, "--email", "di@example.com")
    token = cli("tokens", "create", "--user", user["id"], "--expires", "10m", "--json").json()

    async def read(store: keys.Store) -> Any:
        instance = await store.instances.first()
        assert instance is not None
        return await store.tokens.get(instance.id, token["id"])

    stored = in_store(server.database_url, read)
    assert stored.expires_at - stored.created_at == timedelta(seconds=600)


def test_tokens_list_get_revoke_and_revoke_all(cli: Cli) -> None:
    """Tokens are listed, shown without their link, revoked once, and revoked per user."""
    user = new_user(cli, "--email", "ed@example.com")
    ids = [cli("tokens", "create", "--user", user["id"], "--json").json()["id"] for _ in range(3)]
    listed = cli("tokens", "list", "--user", user["id"], "--json").json()
    assert sorted(t["id"] for t in listed) == sorted(ids)
    table = cli("tokens", "list", "--limit", "2")
    assert table.code == 0 and table.out.count("pending") == 2
    assert "showing 2 of 3: use --offset 2 for more" in table.err

    shown = cli("tokens", "get", ids[0])
    assert ids[0] in shown.out and "pending" in shown.out and "tsit_" not in shown.out

    revoked = cli("tokens", "revoke", ids[0], "--json").json()
    assert revoked["status"] == "revoked"
    again = cli("tokens", "revoke", ids[0])
    assert again.code == 1
    assert again.err == (
        "tessera: error: Sign in token cannot be revoked because its status is revoked. "
        "Only pending tokens can be revoked.\n"
    )
    assert cli("tokens", "list", "--status", "revoked", "--json").json()[0]["id"] == ids[0]

    everything = cli("tokens", "revoke-all", "--user", user["id"])
    assert (everything.code, everything.out) == (0, f"revoked 2 pending tokens of {user['id']}\n")
    assert cli("tokens", "list", "--status", "pending", "--json").json() == []

    missing = cli("tokens", "get", "sit_" + "0" * 27)
    assert (missing.code, missing.err) == (
        1,
        f"tessera: error: no such sign-in token sit_{'0' * 27}.\n",
    )


def test_both_modes_print_the_same(
    server: Running, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same record reads the same, table and JSON, from the database and from the API."""
    direct = runner(capsys, "--database-url", server.database_url)
    monkeypatch.setenv("TESSERA_SECRET_KEY", server.secret_key)
    remote = runner(capsys, "--api-url", server.base_url + "/v1")
    user = new_user(direct, "--email", "fa@example.com", "--username", "fa")
    token = remote("tokens", "create", "--user", user["id"], "--json").json()
    for argv in (
        ("users", "get", user["id"]),
        ("users", "get", user["id"], "--json"),
        ("users", "list"),
        ("tokens", "get", token["id"]),
        ("tokens", "list", "--json"),
        ("users", "get", "user_missing"),
    ):
        assert direct(*argv) == remote(*argv)


def test_instances_create_and_list(direct: Cli) -> None:
    """A new instance is listed after the default one, which stays first."""
    created = direct("instances", "create", "staging", "--json").json()
    assert created["name"] == "staging" and created["id"].startswith("ins_")
    listed = direct("instances", "list", "--json").json()
    assert [i["id"] for i in listed][-1] == created["id"] and len(listed) == 2
    table = direct("instances", "list")
    assert "staging" in table.out and created["id"] in table.out


def test_instance_option_chooses_the_instance(direct: Cli) -> None:
    """--instance acts on another instance; the default one does not see its users."""
    other = direct("instances", "create", "other", "--json").json()["id"]
    user = new_user(direct, "--email", "gi@example.com", "--instance", other)
    assert direct("users", "list", "--json", "--instance", other).json()[0]["id"] == user["id"]
    assert direct("users", "list", "--json").json() == []
    unknown = direct("users", "list", "--instance", "ins_nope")
    assert (unknown.code, unknown.err) == (
        2,
        "tessera: error: no instance ins_nope in this database.\n",
    )


def test_api_keys_create_list_revoke(direct: Cli, server: Running) -> None:
    """A new key is printed once and opens the API; lists show its prefix; revoked, it's refused."""
    created = direct("api-keys", "create")
    secret = created.out.strip()
    assert created.code == 0 and keys.crypto.is_well_formed(secret, "sk_test_")
    assert "only time it is shown" in created.err
    with server.client(secret) as client:
        assert client.get("/v1/users").status_code == 200

    listed = direct("api-keys", "list")
    assert secret[:12] + "…" in listed.out and secret not in listed.out
    records = direct("api-keys", "list", "--json").json()
    assert all("secret" not in r for r in records) and len(records) == 2
    key_id = next(r["id"] for r in records if r["prefix"] == secret[:12])

    revoked = direct("api-keys", "revoke", key_id, "--json").json()
    assert revoked["revoked_at"] is not None
    with server.client(secret) as client:
        assert client.get("/v1/users").status_code == 401
    again = direct("api-keys", "revoke", key_id)
    assert (again.code, again.err) == (
        1,
        f"tessera: error: No live secret key was found with id {key_id}.\n",
    )
    live = direct("api-keys", "create", "--live", "--json").json()
    assert live["secret"].startswith("sk_live_") and live["prefix"] == live["secret"][:12]


@pytest.mark.parametrize(
    "group",
    [
        ["instances", "list"],
        ["instances", "create", "x"],
        ["api-keys", "list"],
        ["api-keys", "create"],
        ["api-keys", "revoke", "ak_x"],
    ],
)
def test_instances_and_keys_need_the_database(
    group: list[str],
    server: Running,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over the API, instance and key commands exit 2 saying to use --database-url."""
    monkeypatch.setenv("TESSERA_SECRET_KEY", server.secret_key)
    result = runner(capsys, "--api-url", server.base_url)(*group)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"tessera: error: `tessera {group[0]}` works on the database")


def test_connection_errors_are_one_line_with_exit_codes(
    server: Running,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    """Missing database or key, both modes, a wrong key, no server: one line, exit 2 or 1."""
    run = runner(capsys)
    cases: list[tuple[tuple[str, ...], int, str]] = [
        (
            ("users", "list", "--database-url", f"sqlite:///{tmp_path}/none.db"),
            2,
            f"no database at {tmp_path}/none.db",
        ),
        (("users", "list", "--api-url", server.base_url), 2, "--api-url needs the instance's"),
        (("users", "list", "--api-url", "x", "--database-url", "y"), 2, "give --database-url or"),
        (
            ("users", "list", "--database-url", "mysql://x"),
            2,
            "TESSERA_DATABASE_URL must start with",
        ),
    ]
    for argv, code, message in cases:
        result = run(*argv)
        assert (result.code, result.out) == (code, ""), argv
        assert result.err.startswith("tessera: error: " + message) and result.err.count("\n") == 1

    monkeypatch.setenv("TESSERA_SECRET_KEY", keys.new_secret_key())
    refused = run("users", "list", "--api-url", server.base_url)
    assert (refused.code, refused.err) == (
        1,
        "tessera: error: The provided Clerk Secret Key is invalid. Make sure that your Clerk "
        "Secret Key is correct.\n",
    )
    closed = f"http://127.0.0.1:{server.settings.port + 1 if server.settings.port < 65535 else 1}"
    unreachable = run("users", "list", "--api-url", closed)
    assert unreachable.code == 1
    assert unreachable.err.startswith(f"tessera: error: cannot reach {closed}/v1: ")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A bad option or value is argparse's usage error: exit 2, nothing on stdout."""
    for argv in (
        ["tokens", "create"],
        ["tokens", "create", "--user", "u", "--expires", "soon"],
        ["users", "list", "--limit", "0"],
        ["nonsense"],
        [],
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        captured = capsys.readouterr()
        assert captured.out == "" and "error:" in captured.err


def all_commands() -> list[list[str]]:
    from tessera.cli import build_parser

    found: list[list[str]] = [[]]

    def walk(parser: Any, path: list[str]) -> None:
        for action in parser._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                for name, sub in action.choices.items():
                    found.append([*path, name])
                    walk(sub, [*path, name])

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "tessera")
def test_every_help_reads_well(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`tessera … --help` exits 0 with a usage line and a sentence saying what it does."""
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: tessera" + "".join(f" {c}" for c in command))
    paragraphs = text.split("\n\n")
    assert paragraphs[1].strip()[0].isupper() and paragraphs[1].strip().endswith(".")
    assert max(len(line) for line in text.splitlines()) <= 100


def test_importing_the_cli_loads_no_server_or_store() -> None:
    """`tessera --help` stays fast: the CLI package imports no web server or store module."""
    import subprocess
    import sys

    code = (
        "import sys, tessera.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'uvicorn', 'sqlite3', 'orjson', 'asyncpg') "
        "or m.startswith(('tessera.store', 'tessera.api'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_direct_links_without_a_public_url_come_with_a_note(
    server: Running, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without TESSERA_PUBLIC_URL, direct mode says where its links point."""
    monkeypatch.delenv("TESSERA_PUBLIC_URL", raising=False)
    run = runner(capsys, "--database-url", server.database_url)
    user = new_user(run, "--email", "hu@example.com")
    made = run("tokens", "create", "--user", user["id"])
    assert made.code == 0 and made.out.startswith("http://127.0.0.1:8000/v1/tickets/accept?")
    assert made.err == (
        "tessera: note: TESSERA_PUBLIC_URL is not set, so links point at http://127.0.0.1:8000: "
        "set it to the server's public address.\n"
    )
