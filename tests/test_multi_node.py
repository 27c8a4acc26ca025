"""Two `tessera serve` processes on one PostgreSQL database: every guarantee holds across them.

The nodes share nothing but the database, as behind a load balancer: one public URL, one
secret key, each its own process and connection pool.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from conftest import make_user
from databases import KINDS, PostgresRun
from redeeming import session_jwt, verify
from servers import free_port, serve_process, wait_healthy
from tessera import keys
from tessera.store import open_store
from tessera.store.database import migrations

pytestmark = pytest.mark.slow
RACERS = 50
RATE_LIMIT = 5  # failed redemptions per client address; each test below uses its own address


@dataclass
class Nodes:
    urls: tuple[str, str]  # node A, node B
    secret_key: str
    database_url: str

    def client(self, node: int, *, address: str = "192.0.2.1") -> httpx.Client:
        """A client of one node. The nodes trust X-Forwarded-For from 127.0.0.1 (uvicorn's
        default, as behind a local proxy), so ``address`` is the client address they see."""
        return httpx.Client(
            base_url=self.urls[node],
            headers={
                "Authorization": f"Bearer {self.secret_key}",
                "X-Forwarded-For": address,
            },
            timeout=60,
        )


@pytest.fixture(scope="module")
def nodes(postgres_run: PostgresRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    """Two nodes started together on one empty PostgreSQL schema: both migrate and set it
    up at once, as on a first deployment."""
    if "postgresql" not in KINDS:
        pytest.skip("TESSERA_TEST_DATABASES leaves PostgreSQL out")
    logs = tmp_path_factory.mktemp("nodes")
    ports = (free_port(), free_port())
    secret = keys.new_secret_key()
    with postgres_run.schema(fresh=True) as url:
        env = {
            "TESSERA_DATABASE_URL": url + "&pool_size=8",
            "TESSERA_SECRET_KEY": secret,
            "TESSERA_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",  # the balancer's address
            "TESSERA_REDEEM_RATE_LIMIT": str(RATE_LIMIT),
        }
        with ExitStack() as stack:
            procs = [
                stack.enter_context(serve_process(env, port, log=logs / f"{name}.log", wait=False))
                for port, name in zip(ports, "ab", strict=True)
            ]
            for port, proc in zip(ports, procs, strict=True):
                wait_healthy(f"http://127.0.0.1:{port}", proc)
            urls = (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
            yield Nodes(urls, secret, url)


@pytest.fixture
def a(nodes: Nodes) -> Iterator[httpx.Client]:
    with nodes.client(0) as client:
        yield client


@pytest.fixture
def b(nodes: Nodes) -> Iterator[httpx.Client]:
    with nodes.client(1) as client:
        yield client


def all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Each call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait(30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def spread(
    nodes: Nodes, count: int, call: Callable[[httpx.Client], httpx.Response]
) -> list[httpx.Response]:
    """``count`` simultaneous calls, alternating between the nodes, each on its own
    connection (and, as seen by the nodes through the proxy header, its own address)."""
    clients = [nodes.client(i % 2, address=f"198.51.100.{i + 1}") for i in range(count)]
    try:
        return all_at_once([functools.partial(call, c) for c in clients])
    finally:
        for client in clients:
            client.close()


def sign_in(client: httpx.Client, ticket: str) -> httpx.Response:
    """Redeem a ticket the way Clerk's frontend does (it needs no secret key)."""
    body = {"strategy": "ticket", "ticket": ticket}
    return client.post("/v1/client/sign_ins", json=body)


def outcome(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "ok"
    code: str = response.json()["errors"][0]["code"]
    return code


def new_token(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    user = make_user(api)
    response = api.post("/v1/sign_in_tokens", json={"user_id": user["id"], **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_token_created_on_one_node_is_read_and_revoked_on_the_other(
    a: httpx.Client, b: httpx.Client
) -> None:
    """Node B sees and revokes what node A created; A then sees it revoked."""
    token = new_token(a)
    seen = b.get(f"/v1/sign_in_tokens/{token['id']}")
    assert seen.status_code == 200 and seen.json()["status"] == "pending"
    revoked = b.post(f"/v1/sign_in_tokens/{token['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert a.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "revoked"


def test_fifty_revokes_spread_over_both_nodes_exactly_one_succeeds(
    nodes: Nodes, a: httpx.Client
) -> None:
    """50 simultaneous revokes of one token through both nodes: one 200, 49 refused (400)."""
    token = new_token(a)
    responses = spread(nodes, RACERS, lambda c: c.post(f"/v1/sign_in_tokens/{token['id']}/revoke"))
    assert sorted(r.status_code for r in responses) == [200] + [400] * (RACERS - 1)


def test_an_idempotent_create_retried_on_the_other_node_gets_the_first_response(
    a: httpx.Client, b: httpx.Client
) -> None:
    """The same Idempotency-Key and body sent to B after A answered: A's response, byte for
    byte, and still one token."""
    user = make_user(a)
    body = {"user_id": user["id"], "expires_in_seconds": 600}
    headers = {"Idempotency-Key": "retry-on-the-other-node"}
    first = a.post("/v1/sign_in_tokens", json=body, headers=headers)
    again = b.post("/v1/sign_in_tokens", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    listed = b.get("/v1/sign_in_tokens", params={"user_id": user["id"]}).json()
    assert listed["total_count"] == 1


def test_nodes_started_together_migrated_once_and_made_one_instance(nodes: Nodes) -> None:
    """Both nodes started on an empty schema at once: each migration is recorded once, and
    there is one default instance, which the shared secret key opens on both."""

    async def versions() -> list[int]:
        store = await open_store(nodes.database_url)
        try:
            rows = await store.db.fetchall("SELECT version FROM schema_migrations ORDER BY 1")
        finally:
            await store.close()
        return [r[0] for r in rows]

    assert asyncio.run(versions()) == [v for v, _ in migrations()]
    for node in (0, 1):
        with nodes.client(node) as client:
            assert client.get("/v1/users").status_code == 200

    async def instances() -> int:
        store = await open_store(nodes.database_url)
        try:
            return len(await store.instances.all())
        finally:
            await store.close()

    assert asyncio.run(instances()) == 1


def test_a_ticket_created_on_one_node_redeems_on_the_other(
    nodes: Nodes, a: httpx.Client, b: httpx.Client
) -> None:
    """Created through A, redeemed through B: one session, visible on A, whose token
    verifies against A's JWKS."""
    token = new_token(a)
    signed_in = sign_in(b, token["token"])
    assert signed_in.status_code == 200, signed_in.text
    session_id = signed_in.json()["response"]["created_session_id"]
    assert a.get(f"/v1/sessions/{session_id}").json()["user_id"] == token["user_id"]
    assert a.get(f"/v1/sign_in_tokens/{token['id']}").json()["status"] == "accepted"
    claims = verify(nodes.urls[0], session_jwt(signed_in))
    assert (claims["sub"], claims["sid"]) == (token["user_id"], session_id)


def test_fifty_redemptions_spread_over_both_nodes_start_exactly_one_session(
    nodes: Nodes, a: httpx.Client
) -> None:
    """50 simultaneous redemptions of one ticket through both nodes: one session; the 49
    others are told the token was already used."""
    token = new_token(a)
    responses = spread(nodes, RACERS, lambda c: sign_in(c, token["token"]))
    outcomes = sorted(outcome(r) for r in responses)
    assert outcomes == ["ok"] + ["sign_in_token_already_used_code"] * (RACERS - 1)
    sessions = a.get("/v1/sessions", params={"user_id": token["user_id"]}).json()
    assert len(sessions) == 1


def test_failed_redemptions_count_against_one_limit_on_both_nodes(nodes: Nodes) -> None:
    """The rate-limit counter is in the database: failures through A and through B add up,
    and the next attempt is refused (429) on either node."""
    address = "203.0.113.9"
    with nodes.client(0, address=address) as a, nodes.client(1, address=address) as b:
        failures = [sign_in((a, b)[i % 2], "tsit_not-a-ticket") for i in range(RATE_LIMIT)]
        assert [r.status_code for r in failures] == [400] * RATE_LIMIT
        assert (sign_in(a, "tsit_x").status_code, sign_in(b, "tsit_x").status_code) == (429, 429)


def test_a_key_rotated_on_one_node_is_in_both_nodes_jwks(
    nodes: Nodes, a: httpx.Client, b: httpx.Client
) -> None:
    """`tessera signing-keys rotate` run on node A's machine (on the shared database) shows
    on both nodes at once: the new key first, the old one still published; B signs new
    sessions with the new key."""
    before = a.get("/v1/jwks").json()["keys"]
    rotated = subprocess.run(
        [sys.executable, "-m", "tessera", "signing-keys", "rotate", "--json"],
        env={**os.environ, "TESSERA_DATABASE_URL": nodes.database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rotated.returncode == 0, rotated.stderr
    new_kid = json.loads(rotated.stdout)["id"]
    for client in (a, b):
        kids = [k["kid"] for k in client.get("/v1/jwks").json()["keys"]]
        assert kids == [new_kid, before[0]["kid"]]
    signed_in = sign_in(b, new_token(a)["token"])
    assert jwt.get_unverified_header(session_jwt(signed_in))["kid"] == new_kid
    verify(nodes.urls[0], session_jwt(signed_in))
