"""Helpers for the SDK tests: run either client the same way, and small real HTTP servers on
127.0.0.1 for what Tessera itself never answers (403, 429, 5xx, a lost response)."""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

import tessera


async def run(result: Any) -> Any:
    """The value of a client method's result: awaited for the async client, as is otherwise."""
    return await result if inspect.isawaitable(result) else result


async def close(client: tessera.Client | tessera.AsyncClient) -> None:
    if isinstance(client, tessera.AsyncClient):
        await client.aclose()
    else:
        client.close()


def make_client(kind: str, secret_key: str, base_url: str, **options: Any) -> Any:
    cls = tessera.AsyncClient if kind == "async" else tessera.Client
    return cls(secret_key=secret_key, base_url=base_url, **options)


@dataclass
class Seen:
    """A request a test server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival


Reply = tuple[int, dict[str, str], bytes] | None  # None: drop the connection, answer nothing
Handler = Callable[[Seen], Reply]


@dataclass
class StubServer:
    url: str
    seen: list[Seen] = field(default_factory=list)


def clerk_error(status: int, code: str, long_message: str, **headers: str) -> Reply:
    body = {
        "errors": [{"message": code, "long_message": long_message, "code": code}],
        "clerk_trace_id": "trace_123",
    }
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode()


@contextmanager
def http_server(handle: Handler) -> Iterator[StubServer]:
    """A real HTTP server on 127.0.0.1 answering each request with ``handle(request)``."""
    state = StubServer("")

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            seen = Seen(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
                time.monotonic(),
            )
            state.seen.append(seen)
            reply = handle(seen)
            if reply is None:
                self.close_connection = True
                return
            status, headers, body = reply
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def forward(upstream: str, seen: Seen) -> tuple[int, dict[str, str], bytes]:
    """Send ``seen`` on to ``upstream`` (a base URL without /v1) and return its response."""
    headers = {k: v for k, v in seen.headers.items() if k not in ("host", "content-length")}
    response = httpx.request(
        seen.method, upstream + seen.path, headers=headers, content=seen.body, timeout=30
    )
    keep = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return response.status_code, keep, response.content


@contextmanager
def lossy_proxy(upstream: str, *, lose: int) -> Iterator[StubServer]:
    """A proxy to ``upstream`` that forwards the first ``lose`` requests, lets the server
    commit them, then drops the connection instead of relaying the response."""
    count = 0

    def handle(seen: Seen) -> Reply:
        nonlocal count
        count += 1
        reply = forward(upstream, seen)
        return None if count <= lose else reply

    with http_server(handle) as proxy:
        yield proxy
