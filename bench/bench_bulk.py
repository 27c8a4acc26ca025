"""Rows per second of `tessera tokens issue`, on the database directly and through a server.

    PYTHONPATH=src python bench/bench_bulk.py [ROWS]

Makes ROWS users (default 5,000) in a fresh SQLite file, then issues a link for each from a
CSV (users found by email), once with --database-url and once with --api-url against a
`tessera serve` subprocess (one worker) on the same file. Prints one line per mode.
"""

from __future__ import annotations

import asyncio
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tessera import keys, users
from tessera.clock import system_clock
from tessera.store import open_store


async def seed(url: str, rows: int, secret: str) -> None:
    store = await open_store(url)
    try:
        await keys.bootstrap(store, secret, now=system_clock())
        instance = await store.instances.first()
        assert instance is not None
        for n in range(rows):
            await users.create(
                store, instance.id, email_addresses=[f"u{n}@example.com"], now=system_clock()
            )
    finally:
        await store.close()


def issue(folder: Path, name: str, source: Path, env: dict[str, str], *mode: str) -> float:
    out = folder / f"{name}.csv"
    command = [
        sys.executable,
        "-m",
        "tessera",
        "tokens",
        "issue",
        "--csv",
        str(source),
        "--out",
        str(out),
        "--progress",
        "lines",
        *mode,
    ]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    with out.open() as handle:
        return (sum(1 for _ in handle) - 1) / seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, secret, port = f"sqlite:///{folder / 'bench.db'}", keys.new_secret_key(), free_port()
        asyncio.run(seed(url, rows, secret))
        source = folder / "users.csv"
        with source.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["email"])
            writer.writerows([f"u{n}@example.com"] for n in range(rows))
        env = {
            **os.environ,
            "TESSERA_DATABASE_URL": url,
            "TESSERA_SECRET_KEY": secret,
            "TESSERA_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "TESSERA_LOG_LEVEL": "warning",
        }
        direct = issue(folder, "direct", source, env, "--database-url", url)
        print(f"tokens issue, direct (SQLite):     {direct:8.0f} rows/s  ({rows} rows)")
        server = subprocess.Popen(
            [sys.executable, "-m", "tessera", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            api = issue(folder, "api", source, env, "--api-url", f"http://127.0.0.1:{port}")
            print(f"tokens issue, API (1 worker):      {api:8.0f} rows/s  ({rows} rows)")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
