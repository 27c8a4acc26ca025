"""`tessera serve`: first start, configuration checks, health and JWKS."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from servers import free_port, serve_process, wait_healthy
from tessera.config import Settings
from tessera.errors import ConfigError
from tessera.keys import new_secret_key


def test_first_start_shows_a_new_key_once_on_the_terminal(tmp_path: Path) -> None:
    """An empty store and no key given: a new key is printed on the terminal, and it works."""
    port = free_port()
    env = {**os.environ, "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'first.db'}"}
    env.pop("TESSERA_SECRET_KEY", None)
    command = [sys.executable, "-m", "tessera", "serve", "--port", str(port)]
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(command, env=env, stdout=secondary, stderr=subprocess.DEVNULL)
    os.close(secondary)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        output = b""
        while b"sk_test_" not in output or not re.search(rb"sk_test_\w{49}", output):
            output += os.read(primary, 4096)
        key = re.search(rb"sk_test_\w{49}", output)
        assert key is not None
        headers = {"authorization": f"Bearer {key.group().decode()}"}
        assert httpx.get(f"http://127.0.0.1:{port}/v1/users", headers=headers).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
        os.close(primary)


def test_without_a_terminal_no_key_is_made_and_the_operator_is_told(tmp_path: Path) -> None:
    """A key nobody can see is never made: off a terminal, serve says how to set one."""
    port, log = free_port(), tmp_path / "serve.log"
    env = {"TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'again.db'}", "TESSERA_SECRET_KEY": ""}
    for _ in range(2):
        with serve_process(env, port, log=log):
            pass
    text = log.read_text()
    assert text.count("no secret key opens the default instance yet") == 2
    assert "created secret key" not in text
    assert re.search(r"sk_(test|live)_\w{49}", text) is None


@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({"TESSERA_PUBLIC_URL": "http://auth.example.com"}, [], "https"),
        ({"TESSERA_PUBLIC_URL": "ftp://x"}, [], "absolute http(s) URL"),
        ({}, ["--host", "0.0.0.0"], "TESSERA_PUBLIC_URL"),
        ({"TESSERA_SECRET_KEY": "sk_test_123"}, [], "tessera keygen"),
        ({"TESSERA_DATABASE_URL": "mysql://x"}, [], "sqlite:// or postgresql://"),
        ({"TESSERA_MAX_TOKEN_LIFETIME": "soon"}, [], "TESSERA_MAX_TOKEN_LIFETIME"),
    ],
)
def test_unsafe_or_wrong_settings_are_refused_with_a_sentence(
    tmp_path: Path, env: dict[str, str], args: list[str], says: str
) -> None:
    """Start-up refuses bad settings: exit 2, one line naming what to change, no traceback."""
    full = {**os.environ, "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env}
    result = subprocess.run(
        [sys.executable, "-m", "tessera", "serve", "--port", str(free_port()), *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_hide_the_secret_key_in_repr() -> None:
    """repr(Settings) never shows the key."""
    key = new_secret_key()
    assert key not in repr(Settings(secret_key=key))


@pytest.mark.parametrize("duration", ["0", "-5", "5x", ""])
def test_durations_are_checked(duration: str) -> None:
    """A lifetime cap must be a positive duration."""
    with pytest.raises(ConfigError):
        Settings.from_env({"TESSERA_MAX_TOKEN_LIFETIME": duration or " "})


def test_health_and_jwks_answer_without_a_key(tmp_path: Path) -> None:
    """/healthz and /v1/jwks are public."""
    port = free_port()
    env = {
        "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "TESSERA_SECRET_KEY": new_secret_key(),
    }
    with serve_process(env, port):
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        jwks = httpx.get(f"http://127.0.0.1:{port}/v1/jwks")
        assert jwks.status_code == 200 and isinstance(jwks.json()["keys"], list)
