"""Shared pieces of the benchmarks: processes on loopback, wrk runs, one printed table.

Every figure comes from wrk (2 threads, 64 connections by default) against a server on
127.0.0.1 started here, so that a run compares like with like on the same machine, same minute.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


@contextmanager
def process(
    argv: list[str], env: Mapping[str, str], health_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_up(health_url, proc)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def tessera(env: Mapping[str, str], port: int, workers: int = 1) -> Iterator[str]:
    """`tessera serve` on 127.0.0.1:port; yields its base URL."""
    argv = [
        sys.executable,
        "-m",
        "tessera",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    base = f"http://127.0.0.1:{port}"
    with process(argv, {"TESSERA_LOG_LEVEL": "warning", **env}, base + "/healthz"):
        yield base


@contextmanager
def reference(port: int) -> Iterator[str]:
    """The reference app (one SQLite INSERT per request) on 127.0.0.1:port."""
    folder = tempfile.mkdtemp(prefix="tessera-ref-")
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.reference_app:app",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = {"REFERENCE_DB": str(Path(folder) / "ref.db"), "PYTHONPATH": str(ROOT)}
    try:
        with process(argv, env, f"http://127.0.0.1:{port}/"):
            yield f"http://127.0.0.1:{port}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    name: str,
    url: str,
    script: str,
    *,
    seconds: int = 10,
    connections: int = 64,
    env: Mapping[str, str] | None = None,
) -> Result:
    """Run wrk with a Lua ``script`` (text) against ``url``; the parsed result."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua.name, url],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
        ).stdout
    finally:
        os.unlink(lua.name)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if len(latency) != 2:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(
        name=name,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        non_2xx=int(bad.group(1)) if bad else 0,
        requests=requests,
    )


def median_of(runs: list[Result]) -> Result:
    """The run with the median requests/s (its own latencies), named after the first."""
    ranked = sorted(runs, key=lambda r: r.rps)
    middle = ranked[len(ranked) // 2]
    rounds = f" (median of {len(runs)})" if len(runs) > 1 else ""
    return Result(
        name=runs[0].name + rounds,
        rps=middle.rps,
        p50_ms=middle.p50_ms,
        p99_ms=middle.p99_ms,
        non_2xx=sum(r.non_2xx for r in runs),
        requests=sum(r.requests for r in runs),
    )


def post_script(path: str, body: str, key: str | None = None) -> str:
    """A wrk script POSTing one JSON body."""
    auth = f'wrk.headers["Authorization"] = "Bearer {key}"\n' if key else ""
    return (
        'wrk.method = "POST"\n'
        f"wrk.path = {path!r}\n"
        f"wrk.body = {body!r}\n"
        'wrk.headers["Content-Type"] = "application/json"\n' + auth
    )


def report(results: list[Result], reference_rps: float) -> None:
    width = max(44, *(len(r.name) for r in results))
    print(
        f"\n{'benchmark':{width}} {'req/s':>9} {'x ref':>6} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx':>8}"
    )
    for r in results:
        print(
            f"{r.name:{width}} {r.rps:9.0f} {r.rps / reference_rps:6.2f} {r.p50_ms:8.2f} "
            f"{r.p99_ms:8.2f} {r.non_2xx:8d}"
        )


_WALK = """
local items = {}
for line in io.lines(os.getenv("%(env)s")) do items[#items + 1] = line end
local counter = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end
function init(args)
  counter = offset
end
wrk.method = "POST"
%(head)s
request = function()
  counter = counter + 2
  local item = items[(counter %% #items) + 1]
%(body)s
end
"""


def walking_script(env: str, body: str, head: str = "") -> str:
    """A wrk script whose two threads walk alternate lines of the file named by ``$env``, so
    no line is sent twice while there are lines left; ``body`` ends ``request()``, with the
    line in ``item``; ``head`` runs once (headers common to every request)."""
    return _WALK % {"env": env, "head": head, "body": body}
