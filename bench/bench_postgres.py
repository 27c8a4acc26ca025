"""Create and redeem on PostgreSQL with one node and with two, beside SQLite and the reference.

Run from the project root:  python -m bench.bench_postgres [--seconds 10] [--postgres URL]

Every figure comes from the same run on the same machine: the reference (raw ASGI, one SQLite
INSERT per request), then ``tessera serve`` on SQLite, on PostgreSQL with one node, and on
PostgreSQL with two nodes (two ``tessera serve`` processes on one database, as behind a load
balancer; wrk drives each with half the connections and the table shows the sum). PostgreSQL
keeps its defaults (``synchronous_commit = on``). Each configuration gets a database of its
own, dropped afterwards.

- create: ``POST /v1/sign_in_tokens`` for one user (a secret key check, one INSERT).
- redeem: ``POST /v1/client/sign_ins`` with a fresh ticket each time, from an address of its
  own (``X-Forwarded-For``, trusted from 127.0.0.1): the rate-limit counter, the conditional
  accept, the session INSERT, an RS256 session token.

Needs wrk (apt-get install -y wrk) and a PostgreSQL that ``postgres`` may create databases on.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.common import (
    Result,
    free_port,
    post_script,
    reference,
    report,
    tessera,
    walking_script,
    wrk,
)
from tessera import crypto, ids, keys
from tessera.clock import to_ms
from tessera.models import SignInToken
from tessera.store import open_store
from tessera.store.tokens import Tokens
from tessera.tokens import new_ticket

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Each wrk thread walks its own half of the tickets, so no ticket is sent twice.
REDEEM_SCRIPT = walking_script(
    "TICKETS",
    """
  -- Each sign-in from its own address, as users are: the rate limit counts per address.
  local address = "10." .. math.floor(counter / 65536) % 256 .. "." ..
    math.floor(counter / 256) % 256 .. "." .. counter % 256
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = address}
  return wrk.format(nil, "/v1/client/sign_ins", headers,
    '{"strategy":"ticket","ticket":"' .. item .. '"}')""",
)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database; dropped when the block ends."""
    name = f"tessera_bench_{secrets.token_hex(4)}"

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def seed_tickets(database_url: str, count: int, path: Path) -> None:
    """``count`` pending tokens, each of a user of its own (as sign-in links are), inserted
    in one transaction; their tickets written one per line to ``path``.

    One user per ticket matters: a redemption updates its user's ``last_sign_in_at`` in the
    accept's transaction, so redemptions of one user queue on that row, one commit each.
    """

    async def seed() -> list[str]:
        store = await open_store(database_url)
        try:
            instance = await store.instances.first()
            assert instance is not None
            now = datetime.now(UTC)
            token_ids = [ids.new_id("sit", now) for _ in range(count)]
            tickets = [new_ticket(token_id) for token_id in token_ids]
            async with store.db.transaction() as tx:
                tokens = Tokens(tx)
                for token_id, ticket in zip(token_ids, tickets, strict=True):
                    user_id = ids.new_id("user", now)
                    await tx.execute(
                        "INSERT INTO users (id, instance_id, public_metadata, private_metadata, "
                        "banned, created_at, updated_at) VALUES (?, ?, '{}', '{}', ?, ?, ?)",
                        user_id,
                        instance.id,
                        False,
                        to_ms(now),
                        to_ms(now),
                    )
                    token = SignInToken(
                        id=token_id,
                        instance_id=instance.id,
                        user_id=user_id,
                        token_hash=crypto.hash_secret(ticket),
                        status="pending",
                        expires_at=now + timedelta(hours=1),
                        created_at=now,
                        updated_at=now,
                    )
                    await tokens.insert(token)
            return tickets
        finally:
            await store.close()

    path.write_text("\n".join(asyncio.run(seed())) + "\n")


def measure(
    label: str, database_url: str, nodes: int, seconds: int, tickets: int, folder: Path
) -> list[Result]:
    """Create, then redeem, against ``nodes`` `tessera serve` processes on one database."""
    key, ports = keys.new_secret_key(), [free_port() for _ in range(nodes)]
    env = {
        "TESSERA_DATABASE_URL": database_url,
        "TESSERA_SECRET_KEY": key,
        "TESSERA_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
    }
    with ExitStack() as stack:
        bases = [stack.enter_context(tessera(env, port)) for port in ports]
        auth = {"authorization": f"Bearer {key}"}
        user_id = httpx.post(f"{bases[0]}/v1/users", json={}, headers=auth).json()["id"]
        body = f'{{"user_id": "{user_id}", "expires_in_seconds": 600}}'
        create = post_script("/v1/sign_in_tokens", body, key)
        name = f"{label}, {nodes} node{'s' if nodes > 1 else ''}"
        created = spread(f"create ({name})", bases, create, seconds, {})
        for base in bases:  # the first signing key is made (RSA) before the clock runs
            httpx.get(f"{base}/v1/jwks", headers=auth).raise_for_status()
        files = []
        for index in range(nodes):
            files.append(folder / f"tickets-{label.replace(' ', '-')}-{nodes}-{index}.txt")
            seed_tickets(database_url, tickets // nodes, files[-1])
        redeemed = spread(f"redeem ({name})", bases, REDEEM_SCRIPT, seconds, {"TICKETS": files})
    return [created, redeemed]


def spread(
    name: str, bases: list[str], script: str, seconds: int, env: dict[str, list[Path]]
) -> Result:
    """wrk on every node at once, 64 connections in all; the summed rate, the worst latency."""

    def one(index: int) -> Result:
        own = {k: str(v[index]) for k, v in env.items()}
        return wrk(
            name, bases[index], script, seconds=seconds, connections=64 // len(bases), env=own
        )

    with ThreadPoolExecutor(len(bases)) as pool:
        parts = list(pool.map(one, range(len(bases))))
    return Result(
        name=name,
        rps=sum(p.rps for p in parts),
        p50_ms=max(p.p50_ms for p in parts),
        p99_ms=max(p.p99_ms for p in parts),
        non_2xx=sum(p.non_2xx for p in parts),
        requests=sum(p.requests for p in parts),
    )


def run(seconds: int, admin_url: str, tickets: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="tessera-bench-pg-"))
    try:
        results = measure_all(seconds, admin_url, tickets, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(results, results[0].rps)
    print(
        f"\n{seconds} s per figure, wrk 64 connections in all; redeem draws from {tickets} "
        "fresh tickets per configuration (a non-2xx would be a ticket sent twice)."
    )


def measure_all(seconds: int, admin_url: str, tickets: int, folder: Path) -> list[Result]:
    """The reference first (every ratio is to it), then each configuration."""
    with reference(free_port()) as ref_url:
        ref = wrk(
            "reference: raw ASGI + 1 SQLite INSERT",
            ref_url,
            post_script("/", "{}"),
            seconds=seconds,
        )
    results = [ref]
    results += measure("SQLite", f"sqlite:///{folder / 'bench.db'}", 1, seconds, tickets, folder)
    for nodes in (1, 2):
        with postgres_database(admin_url) as url:
            results += measure("PostgreSQL", url, nodes, seconds, tickets, folder)
    # For comparison only: PostgreSQL not waiting for the disk at each commit, the bargain
    # SQLite's ?synchronous=normal makes (SQLite above waits: synchronous=FULL by default).
    with postgres_database(admin_url) as url:
        relaxed = url + "?synchronous_commit=off"
        results += measure("PostgreSQL no commit wait", relaxed, 1, seconds, tickets, folder)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--postgres", default=ADMIN_URL, help="where to create databases")
    parser.add_argument("--tickets", type=int, default=20_000, help="per configuration")
    args = parser.parse_args()
    run(args.seconds, args.postgres, args.tickets)
