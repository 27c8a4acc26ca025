"""`tessera serve` at its edge: what its log writes of a request, slow clients, proxies."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from servers import free_port, serve_process
from tessera.keys import new_secret_key
from tessera.store import open_store

LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


@contextmanager
def serve(tmp_path: Path, *args: str) -> Iterator[tuple[int, Path]]:
    """`tessera serve ARGS` on a new SQLite file; its port and its log file."""
    port, log = free_port(), tmp_path / "serve.log"
    env = {
        "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'tessera.db'}",
        "TESSERA_SECRET_KEY": new_secret_key(),
    }
    with serve_process(env, port, *args, log=log):
        yield port, log


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    with serve(tmp_path) as running:
        yield running


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


@pytest.mark.parametrize(
    "half",
    [
        b"GET /healthz HTTP/1.1\r\nHost: t\r\n",  # headers never finished
        b"G",
        b"POST /v1/client/sign_ins HTTP/1.1\r\nHost: t\r\nContent-Type: application/json"
        b'\r\nContent-Length: 100\r\n\r\n{"strategy": "ti',  # a body never finished
    ],
)
def test_a_half_sent_request_is_closed_after_the_read_timeout(tmp_path: Path, half: bytes) -> None:
    """With --read-timeout 1, the server closes the connection of a request that stops
    arriving (it would wait for it forever), answering nothing; whole requests still work."""
    with serve(tmp_path, "--read-timeout", "1") as (port, log):
        assert raw_request(port, half) == b""
        whole = b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        assert raw_request(port, whole).startswith(b"HTTP/1.1 200")
    assert "did not arrive within 1.0s" in log.read_text()
    assert "ERROR" not in log.read_text()


def test_a_keep_alive_connection_gets_a_fresh_deadline_per_request(tmp_path: Path) -> None:
    """Whole requests on one connection are all answered, also when each arrives in pieces;
    the deadline is per request."""
    with (
        serve(tmp_path, "--read-timeout", "1") as (port, _),
        socket.create_connection(("127.0.0.1", port), timeout=30) as sock,
    ):
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            sock.sendall(b"Host: t\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"status":"ok"}'):
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200")


def buckets(tmp_path: Path) -> list[str]:
    async def read() -> list[str]:
        store = await open_store(f"sqlite:///{tmp_path / 'tessera.db'}")
        try:
            return [row[0] for row in await store.db.fetchall("SELECT bucket FROM rate_limits")]
        finally:
            await store.close()

    return asyncio.run(read())


@pytest.mark.parametrize(
    ("trusted", "counted_as"),
    [("127.0.0.1", "203.0.113.9"), ("192.0.2.1", "127.0.0.1"), ("*", "203.0.113.9")],
)
def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(
    tmp_path: Path, trusted: str, counted_as: str
) -> None:
    """--forwarded-allow-ips: a failed redemption is counted against X-Forwarded-For's
    address when the peer (127.0.0.1 here) is a trusted proxy, else against the peer."""
    with serve(tmp_path, "--forwarded-allow-ips", trusted) as (port, _):
        response = httpx.post(
            f"http://127.0.0.1:{port}/v1/client/sign_ins",
            json={"strategy": "ticket", "ticket": "tsit_bad"},
            headers={"x-forwarded-for": "203.0.113.9"},
        )
        assert response.status_code == 400
    assert buckets(tmp_path) == [f"redeem:{counted_as}"]
