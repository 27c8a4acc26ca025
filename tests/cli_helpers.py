"""Running `tessera …` in tests: `main(argv)` with its output captured."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from servers import Running
from tessera.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Result]


def clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TESSERA_* setting of the machine leaks into a test."""
    for name in ("TESSERA_DATABASE_URL", "TESSERA_API_URL", "TESSERA_SECRET_KEY", "TESSERA_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def runner(capsys: pytest.CaptureFixture[str], *prefix: str) -> Cli:
    def run(*argv: str) -> Result:
        code = main([*argv, *prefix])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return Result(code, captured.out, captured.err)

    return run


def both_modes(
    mode: str, server: Running, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch
) -> Cli:
    """`tessera …` against the server's database (direct) or the server itself (api)."""
    mp.setenv("TESSERA_PUBLIC_URL", server.base_url)  # direct mode builds links from it
    if mode == "api":
        mp.setenv("TESSERA_SECRET_KEY", server.secret_key)
        return runner(capsys, "--api-url", server.base_url)
    return runner(capsys, "--database-url", server.database_url)
