"""`scripts/test`, the README's test command: what it sets up, and whose exit code it returns."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "test"


def run(argv: list[str], *, path_first: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path_first is not None:
        env["PATH"] = f"{path_first}:{env['PATH']}"
    return subprocess.run(
        [str(SCRIPT), *argv], env=env, capture_output=True, text=True, timeout=120
    )


def stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_the_readme_and_ci_run_the_same_one_command() -> None:
    """The README's first screen gives `scripts/test` as the test command; .ci/run calls it."""
    first_screen = (ROOT / "README.md").read_text().split("\n## ", 1)[0]
    commands = [line for line in first_screen.splitlines() if "# the tests" in line]
    assert [line.split("#")[0].strip() for line in commands] == ["scripts/test"]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert any(line.startswith("scripts/test ") for line in ci)
    assert not any(line.lstrip().startswith("pytest") for line in ci)


def test_postgresql_down_is_started_and_waited_for(tmp_path: Path) -> None:
    """pg_isready failing makes the script start the cluster and wait until it answers."""
    started = tmp_path / "started"
    stub(tmp_path, "pg_isready", f'[ -e {started} ] && [ "$(cat {started})" -gt 2 ]')
    count = f"echo $(( $(cat {started} 2>/dev/null || echo 0) + 1 )) > {started}"
    stub(tmp_path, "pg_ctlcluster", f'echo "$@" > {tmp_path}/args; {count}')
    # Each failed pg_isready after the start counts once more, so it answers on the 3rd try.
    stub(tmp_path, "sleep", count)
    done = run(["--collect-only", "-q", "tests/test_cli_migrate.py"], path_first=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    version = os.listdir("/etc/postgresql")[0]
    assert (tmp_path / "args").read_text().split() == [
        "--skip-systemctl-redirect", version, "main", "start",
    ]  # fmt: skip


def test_pytest_exit_code_is_the_script_exit_code() -> None:
    """Nothing collected is pytest's 5, and a failure of the script, not a pass."""
    done = run(["tests/test_cli_migrate.py", "-q", "-k", "no_test_has_this_name"])
    assert done.returncode == 5, done.stdout + done.stderr
