"""Another process holding SQLite's write lock (a CLI command, a second worker) delays only
the writes that need it: the event loop goes on serving everything else, and a write that
waits past the busy timeout answers 503 with Retry-After."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from conftest import make_user, start_server
from servers import ManualClock
from tessera.store.sqlite import path_from_url


@contextmanager
def write_lock(url: str) -> Iterator[sqlite3.Connection]:
    """Another connection to the file, holding the write lock until the block ends."""
    other = sqlite3.connect(path_from_url(url), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_waiting_for_the_write_lock_stops_no_other_request(
    tmp_path: Path, secret_key: str, clock: ManualClock
) -> None:
    """While a create waits for another connection's lock, /healthz and a read answer; once
    the lock is released, the waiting create is stored."""
    url = f"sqlite:///{tmp_path / 'tessera.db'}?busy_timeout=60000"
    with start_server(url, secret_key, clock) as server, server.client() as api:
        user = make_user(api)
        with ThreadPoolExecutor(1) as pool, server.client() as writer:
            with write_lock(url):
                waiting = pool.submit(
                    writer.post, "/v1/sign_in_tokens", json={"user_id": user["id"]}
                )
                time.sleep(0.3)  # for the create to reach the lock (not a measurement)
                assert api.get("/healthz").status_code == 200
                assert api.get(f"/v1/users/{user['id']}").status_code == 200
                assert not waiting.done()
            assert waiting.result().status_code == 200


def test_a_write_still_locked_out_after_the_busy_timeout_answers_503(
    tmp_path: Path, secret_key: str, clock: ManualClock
) -> None:
    """Past ``?busy_timeout`` (ms) the write is refused in Clerk's shape with Retry-After and
    stores nothing; after the lock is released, the same request succeeds."""
    url = f"sqlite:///{tmp_path / 'tessera.db'}?busy_timeout=200"
    with start_server(url, secret_key, clock) as server, server.client() as api:
        user = make_user(api)
        with write_lock(url):
            refused = api.post("/v1/sign_in_tokens", json={"user_id": user["id"]})
        assert (refused.status_code, refused.json()["errors"][0]["code"]) == (
            503,
            "service_unavailable",
        )
        assert int(refused.headers["retry-after"]) >= 1
        assert api.get("/v1/sign_in_tokens").json()["total_count"] == 0
        assert api.post("/v1/sign_in_tokens", json={"user_id": user["id"]}).status_code == 200
