"""Races: one ticket redeemed at once by many, and a revoke or a ban racing a redemption."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import make_user
from redeeming import error_code, new_token, running, sign_in
from servers import ManualClock, Running, free_port, serve_process
from tessera import redemption
from tessera.errors import TicketUnusable
from tessera.store import open_store

RACERS = 50


def all_at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def outcome(response: httpx.Response) -> str:
    return "ok" if response.status_code == 200 else error_code(response)


def race_one_ticket(base_url: str, ticket: str) -> Counter[str]:
    clients = [httpx.Client(base_url=base_url, timeout=60) for _ in range(RACERS)]
    body = {"strategy": "ticket", "ticket": ticket}
    try:
        responses = all_at_once(
            *[lambda c=c: c.post("/v1/client/sign_ins", json=body) for c in clients]
        )
    finally:
        for client in clients:
            client.close()
    return Counter(outcome(r) for r in responses)


def test_fifty_simultaneous_redemptions_start_exactly_one_session(
    database_url: str, secret_key: str, clock: ManualClock
) -> None:
    """50 concurrent HTTP redemptions of one ticket: one session, 49 already-used."""
    with (
        running(database_url, secret_key, clock, redeem_rate_limit=1000) as server,
        server.client() as api,
    ):
        token = new_token(api)
        outcomes = race_one_ticket(server.base_url, token["token"])
        sessions = api.get("/v1/sessions", params={"user_id": token["user_id"]}).json()
    assert outcomes == Counter({"ok": 1, "sign_in_token_already_used_code": RACERS - 1})
    assert len(sessions) == 1


@pytest.mark.slow
def test_fifty_simultaneous_redemptions_across_two_worker_processes(
    database_url: str, secret_key: str, tmp_path: Path
) -> None:
    """The same race against `tessera serve --workers 2`: two processes, one database."""
    port = free_port()
    env = {
        "TESSERA_DATABASE_URL": database_url,
        "TESSERA_SECRET_KEY": secret_key,
        "TESSERA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TESSERA_REDEEM_RATE_LIMIT": "1000",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }
    base_url = f"http://127.0.0.1:{port}"
    with serve_process(env, port, "--workers", "2", log=tmp_path / "serve.log"):
        headers = {"Authorization": f"Bearer {secret_key}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as api:
            token = new_token(api)
            outcomes = race_one_ticket(base_url, token["token"])
            sessions = api.get("/v1/sessions", params={"user_id": token["user_id"]}).json()
    assert outcomes == Counter({"ok": 1, "sign_in_token_already_used_code": RACERS - 1})
    assert len(sessions) == 1


def test_store_level_race_has_one_winner(server: Running, api: httpx.Client) -> None:
    """Twenty store connections (one per thread) redeeming one ticket: exactly one wins."""
    token = new_token(api)
    loops = [asyncio.new_event_loop() for _ in range(20)]
    stores = [loop.run_until_complete(open_store(server.database_url)) for loop in loops]

    def redeem(i: int) -> str:
        async def attempt() -> str:
            try:
                await redemption.redeem(
                    stores[i], token["token"], now=datetime.now(UTC), public_url="http://t"
                )
            except TicketUnusable as exc:
                return exc.code
            return "ok"

        return loops[i].run_until_complete(attempt())

    try:
        results = Counter(all_at_once(*[lambda i=i: redeem(i) for i in range(20)]))
    finally:
        for loop, store in zip(loops, stores, strict=True):
            loop.run_until_complete(store.close())
            loop.close()
    assert results == Counter({"ok": 1, "sign_in_token_already_used_code": 19})
    assert len(api.get("/v1/sessions", params={"user_id": token["user_id"]}).json()) == 1


def test_a_revoke_racing_a_redemption_ends_consistent(server: Running, api: httpx.Client) -> None:
    """Either revoked and no session, or accepted, one session and the revoke refused (400)."""
    for _ in range(12):
        token = new_token(api)
        with server.client() as other:
            redeemed, revoked = all_at_once(
                lambda t=token: sign_in(server.base_url, t["token"]),
                lambda t=token, o=other: o.post(f"/v1/sign_in_tokens/{t['id']}/revoke"),
            )
        status = api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"]
        sessions = api.get("/v1/sessions", params={"user_id": token["user_id"]}).json()
        if redeemed.status_code == 200:
            assert (revoked.status_code, error_code(revoked)) == (
                400,
                "sign_in_token_cannot_be_revoked_code",
            )
            assert (status, len(sessions)) == ("accepted", 1)
        else:
            assert revoked.status_code == 200
            assert error_code(redeemed) == "sign_in_token_revoked_code"
            assert (status, sessions) == ("revoked", [])


def test_a_ban_racing_a_redemption_leaves_no_active_session(
    server: Running, api: httpx.Client
) -> None:
    """Whichever commits first, a banned user ends with no active session and no usable token."""
    for _ in range(8):
        user = make_user(api)
        token = new_token(api, user["id"])
        with server.client() as other:
            redeemed, banned = all_at_once(
                lambda t=token: sign_in(server.base_url, t["token"]),
                lambda u=user, o=other: o.post(f"/v1/users/{u['id']}/ban"),
            )
        assert banned.status_code == 200
        active = api.get("/v1/sessions", params={"user_id": user["id"], "status": "active"})
        assert active.json() == []
        if redeemed.status_code != 200:
            assert error_code(redeemed) == "sign_in_token_cannot_be_used_code"
        status = api.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"]
        assert status in ("accepted", "revoked")
