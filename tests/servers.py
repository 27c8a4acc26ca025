"""Real Tessera servers for tests: in a thread (fast) or as a `tessera serve` subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

import conformance
from tessera.api.app import create_app
from tessera.config import Settings


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Running:
    base_url: str  # http://127.0.0.1:PORT
    secret_key: str
    database_url: str
    settings: Settings

    @property
    def api_url(self) -> str:
        return self.base_url + "/v1"

    def client(self, key: str | None = None) -> httpx.Client:
        """A raw HTTP client authorised with ``key`` (default: the server's key)."""
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {key or self.secret_key}"},
            timeout=30,
            event_hooks={"response": [conformance.hook]},
        )


@contextmanager
def serve_in_thread(
    settings: Settings, clock: ManualClock | None = None, app: ASGIApp | None = None
) -> Iterator[uvicorn.Server]:
    """Run ``app`` (by default ``create_app(settings)``) on 127.0.0.1:settings.port in a
    thread until the block ends."""
    if app is None:
        app = create_app(settings, clock=clock) if clock else create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def serve_process(
    env: Mapping[str, str], port: int, *args: str, log: Path | None = None, wait: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """`tessera serve` as a child process; stopped (SIGTERM, then SIGKILL) when the block ends.
    Healthy when the block starts, unless ``wait`` is false (to start several at once)."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "tessera", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        if wait:
            wait_healthy(f"http://127.0.0.1:{port}", proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def wait_healthy(base_url: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"tessera serve exited with {proc.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("tessera serve did not become healthy")
