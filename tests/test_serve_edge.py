"""`tessera serve` at its edge: what its log writes of a request, slow clients, proxies."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import free_port, serve_process
from tessera.keys import new_secret_key

LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`tessera serve` on a new SQLite file; its port and its log file."""
    port, log = free_port(), tmp_path / "serve.log"
    env = {
        "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'tessera.db'}",
        "TESSERA_SECRET_KEY": new_secret_key(),
    }
    with serve_process(env, port, log=log):
        yield port, log


def raw_request(port: int, data: bytes) -> bytes:
    """Send ``data`` as is on a new connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_control_characters_of_a_path_cannot_forge_a_log_line(
    serving: tuple[int, Path],
) -> None:
    """%0a, %0d, NEL and LINE SEPARATOR in a path are written escaped: every line of the log
    is one the server wrote, and the request's own line shows what was sent."""
    port, log = serving
    forged = "2026-12-01%2000:00:00,000%20INFO%20tessera.access:%20GET%20/v1/forged%20200"
    for sep in ("%0a", "%0d%0a", "%C2%85", "%E2%80%A8"):
        request = f"GET /x{sep}{forged} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        assert raw_request(port, request.encode()).startswith(b"HTTP/1.1 404")
    lines = log.read_text(encoding="utf-8").splitlines()
    escaped = [line for line in lines if "tessera.access: GET /x" in line]
    assert [line.split("/x")[1][:6] for line in escaped] == [
        "\\x0a20",
        "\\x0d\\x",
        "\\x8520",
        "\\u2028",
    ]
    assert not [line for line in lines if line.startswith("2026-12-01 00:00:00,000")]
    assert not [line for line in lines if not LINE.match(line) and not line.startswith(" ")]
