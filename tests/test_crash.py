"""A crash loses nothing that was answered: SIGKILL mid-burst, restart, every 200 is there."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx
import pytest

from servers import free_port, serve_process
from tessera.keys import new_secret_key


@pytest.mark.slow
def test_every_create_answered_200_survives_a_sigkill(tmp_path: Path) -> None:
    """Creates answered before the kill are all readable after a restart on the same file."""
    key, port = new_secret_key(), free_port()
    env = {"TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'crash.db'}", "TESSERA_SECRET_KEY": key}
    base, auth = f"http://127.0.0.1:{port}", {"authorization": f"Bearer {key}"}
    answered: list[str] = []
    enough = threading.Event()

    def burst(user_id: str) -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=5) as api:
            while True:
                try:
                    response = api.post("/v1/sign_in_tokens", json={"user_id": user_id})
                except httpx.TransportError:
                    return  # the server died under us
                if response.status_code == 200:
                    answered.append(response.json()["id"])
                if len(answered) >= 300:
                    enough.set()

    with serve_process(env, port) as proc:
        user_id = httpx.post(f"{base}/v1/users", json={}, headers=auth).json()["id"]
        threads = [threading.Thread(target=burst, args=(user_id,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        assert enough.wait(60)
        proc.send_signal(signal.SIGKILL)  # mid-burst: the threads are still sending
        proc.wait()
        for thread in threads:
            thread.join(10)
    assert len(answered) >= 300
    with serve_process(env, port), httpx.Client(base_url=base, headers=auth) as api:
        page = api.get("/v1/sign_in_tokens", params={"limit": 500, "user_id": user_id}).json()
        stored = {t["id"] for t in page["data"]}
        while len(stored) < page["total_count"]:
            more = api.get(
                "/v1/sign_in_tokens", params={"limit": 500, "offset": len(stored)}
            ).json()
            stored |= {t["id"] for t in more["data"]}
    assert set(answered) <= stored
