"""Concurrent single writes share commits, yet each answers as if it had committed alone.

Runs on both databases: on SQLite the writes are grouped into one transaction per turn of
the event loop; on PostgreSQL each commits on its own. The outcome must be the same.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

from tessera.store import Store, UniqueViolation, open_store
from tessera.store.sqlite import path_from_url
from test_store import LATER, a_token, a_user, new_instance


async def test_a_failing_write_among_many_fails_alone(store: Store) -> None:
    """Of 40 concurrent inserts, the one reusing a token id fails; the other 39 are stored."""
    instance = await new_instance(store)
    user = a_user(instance)
    await store.users.insert(user)
    tokens = [a_token(user) for _ in range(40)]
    tokens[17] = replace(tokens[17], id=tokens[3].id)
    outcomes = await asyncio.gather(
        *(store.tokens.insert(t) for t in tokens), return_exceptions=True
    )
    failed = [i for i, o in enumerate(outcomes) if isinstance(o, BaseException)]
    assert len(failed) == 1 and failed[0] in (3, 17)
    assert isinstance(outcomes[failed[0]], UniqueViolation)
    assert all(o is True for i, o in enumerate(outcomes) if i not in failed)
    _, total = await store.tokens.search(instance.id, user_id=None, status=None, limit=1, offset=0)
    assert total == 39


async def test_concurrent_revokes_of_one_token_have_one_winner(store: Store) -> None:
    """Grouped into one transaction, the conditional revokes still let exactly one win."""
    instance = await new_instance(store)
    user = a_user(instance)
    await store.users.insert(user)
    token = a_token(user)
    await store.tokens.insert(token)
    results = await asyncio.gather(
        *(store.tokens.revoke(instance.id, token.id, now=LATER) for _ in range(25))
    )
    assert sum(r is not None for r in results) == 1


async def test_an_answered_write_is_already_committed(store: Store, database_url: str) -> None:
    """When a write returns, another connection (another process) sees it."""
    instance = await new_instance(store)
    user = a_user(instance)
    await store.users.insert(user)
    tokens = [a_token(user) for _ in range(10)]
    assert all(await asyncio.gather(*(store.tokens.insert(t) for t in tokens)))
    if database_url.startswith("sqlite"):
        with sqlite3.connect(path_from_url(database_url)) as other:
            (count,) = other.execute("SELECT COUNT(*) FROM sign_in_tokens").fetchone()
    else:
        other = await open_store(database_url)
        try:
            _, count = await other.tokens.search(
                instance.id, user_id=None, status=None, limit=1, offset=0
            )
        finally:
            await other.close()
    assert count == 10


async def test_a_full_disk_mid_batch_answers_each_caller_with_the_truth(tmp_path: Path) -> None:
    """A write that fills the disk makes SQLite roll back the whole shared transaction. Each
    caller of a batch of creates and revokes is then told exactly what the file holds: success
    for a committed write, failure for one that is not."""
    url = f"sqlite:///{tmp_path / 'full.db'}"
    store = await open_store(url)
    try:
        instance = await new_instance(store)
        user = a_user(instance)
        await store.users.insert(user)
        existing = [a_token(user) for _ in range(20)]
        for token in existing:
            await store.tokens.insert(token)
        await store.db.execute("CREATE TABLE filler (data BLOB)")
        ((pages,),) = await store.db.fetchall("PRAGMA page_count")
        await store.db.fetchall(f"PRAGMA max_page_count = {pages + 2}")  # the disk is nearly full
        fresh = [a_token(user) for _ in range(60)]
        # Number 30 is a single-row write that needs more pages than are left: SQLite rolls
        # back the whole transaction (a statement that may stop part way, such as INSERT …
        # SELECT, is rolled back alone).
        calls = [
            store.db.execute("INSERT INTO filler VALUES (zeroblob(100000))")
            if i == 30
            else store.tokens.revoke(instance.id, existing[i // 6].id, now=LATER)
            if i % 6 == 5
            else store.tokens.insert(fresh[i])
            for i in range(60)
        ]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await store.close()
    with sqlite3.connect(path_from_url(url)) as other:
        status = dict(other.execute("SELECT id, status FROM sign_in_tokens").fetchall())
        (filled,) = other.execute("SELECT COUNT(*) FROM filler").fetchone()
    told = ["failed" if isinstance(o, BaseException) else "done" for o in outcomes]
    targets = [existing[i // 6].id if i % 6 == 5 else fresh[i].id for i in range(60)]
    wanted = ["revoked" if i % 6 == 5 else "pending" for i in range(60)]
    truth = [
        "done" if status.get(t) == w else "failed" for t, w in zip(targets, wanted, strict=True)
    ]
    truth[30] = "done" if filled else "failed"
    assert told == truth
    assert "failed" in told and "done" in told  # the disk filled up part way through
    assert all(
        isinstance(o, sqlite3.OperationalError) and "full" in str(o)
        for o in outcomes
        if isinstance(o, BaseException)
    )


async def test_reads_writes_and_transactions_interleave_with_commits_in_flight(
    tmp_path: Path,
) -> None:
    """SQLite's COMMIT runs in a thread while the loop goes on: reads that arrive meanwhile
    wait for it and then see every answered write; transactions wait their turn; nothing
    spins. Many rounds, so that requests also arrive just as a commit finishes."""
    store = await open_store(f"sqlite:///{tmp_path / 'tessera.db'}")
    try:
        instance = await new_instance(store)
        user = a_user(instance)
        await store.users.insert(user)

        async def write_then_read() -> None:
            token = a_token(user)
            assert await store.tokens.insert(token) is True
            assert await store.tokens.get_any(token.id) is not None

        async def in_a_transaction() -> None:
            async with store.db.transaction() as tx:
                await tx.fetchone("SELECT count(*) FROM sign_in_tokens")

        for _ in range(30):
            work = [write_then_read() for _ in range(20)] + [in_a_transaction() for _ in range(3)]
            await asyncio.wait_for(asyncio.gather(*work), 30)
        _, total = await store.tokens.search(
            instance.id, user_id=None, status=None, limit=1, offset=0
        )
        assert total == 600
    finally:
        await store.close()


async def test_a_finished_commit_whose_callbacks_have_not_run_is_not_waited_for(
    tmp_path: Path,
) -> None:
    """Between a commit's end and its done-callbacks there is a window; a read arriving in it
    must not wait on the finished commit (awaiting a done future does not yield, so it would
    spin forever with the callbacks that free it never running)."""
    store = await open_store(f"sqlite:///{tmp_path / 'tessera.db'}")
    try:
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        finished.set_result(None)
        store.db._committing = finished  # type: ignore[attr-defined]
        assert await asyncio.wait_for(store.db.fetchone("SELECT 1"), 5) == (1,)
    finally:
        await store.close()
