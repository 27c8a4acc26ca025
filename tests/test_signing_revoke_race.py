"""A session starts only while its signing key is live, even against a concurrent revoke.

The session INSERT reads the key's row in the same statement (``INSERT … SELECT … WHERE
status <> 'revoked'``) and, on PostgreSQL, locks it ``FOR SHARE``: a revoke that has marked
the key but not yet committed makes the INSERT wait, and then find the key revoked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest

from databases import PostgresRun
from tessera import keys, sessions, signing, tokens, users
from tessera.models import InstanceSettings, Session, SignInToken
from tessera.store import Store, open_store
from tessera.store.sessions import KeyRevoked


@pytest.fixture
async def pg(postgres_run: PostgresRun) -> AsyncIterator[tuple[Store, str]]:
    """A store on a PostgreSQL schema of this run, and its URL."""
    with postgres_run.schema() as url:
        store = await open_store(url)
        try:
            yield store, url
        finally:
            await store.close()


async def pending_token(store: Store) -> tuple[SignInToken, Session]:
    """A pending token of a new user and the session its redemption would start."""
    now = datetime.now(UTC)
    instance = await keys.create_instance(store, "race", now=now)
    user = await users.create(store, instance.id, email_addresses=["ada@example.com"], now=now)
    token, _ = await tokens.create(
        store, instance.id, user.id, expires_in_seconds=600, max_lifetime=None, now=now
    )
    session = sessions.prepare(
        token, InstanceSettings(), now=now, client_address=None, user_agent=None
    )
    return token, session


async def test_a_session_does_not_start_on_a_revoked_key_and_the_token_stays_pending(
    store: Store,
) -> None:
    """With the key revoked, the start changes nothing (the accept is rolled back); the
    domain's start then uses the key that replaced it."""
    token, session = await pending_token(store)
    now = datetime.now(UTC)
    key = await signing.current(store, token.instance_id, now=now)
    revoked = await signing.revoke(store, token.instance_id, key.id, now=now)
    with pytest.raises(KeyRevoked):
        await store.sessions.start_with_ticket(
            token, replace(session, signing_key_id=key.id), now=now
        )
    assert (await store.tokens.get_any(token.id)).status == "pending"  # type: ignore[union-attr]
    assert await store.sessions.get(token.instance_id, session.id) is None

    started = await sessions.start(store, token, session, now=now)
    assert started is not None
    assert revoked.replacement is not None
    assert started[1].signing_key_id == started[2].id == revoked.replacement.id


async def test_on_postgresql_a_start_waits_for_a_concurrent_revoke_and_then_refuses(
    pg: tuple[Store, str],
) -> None:
    """A revoke has marked the key (uncommitted) when a session start reads it: the start
    waits on the key's row lock instead of reading the old, live version, then finds the key
    revoked and stores nothing. (Without the lock it would store an active session signed by
    a key whose revoke has already swept that instance's sessions.)"""
    store, database_url = pg
    token, session = await pending_token(store)
    now = datetime.now(UTC)
    key = await signing.current(store, token.instance_id, now=now)
    revoker = await asyncpg.connect(database_url)
    try:
        tx = revoker.transaction()
        await tx.start()
        await revoker.execute("UPDATE signing_keys SET status = 'revoked' WHERE id = $1", key.id)
        start = asyncio.create_task(
            store.sessions.start_with_ticket(
                token, replace(session, signing_key_id=key.id), now=now
            )
        )
        pid = revoker.get_server_pid()
        blocked = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
        while not start.done():  # until the start waits on the revoke's row lock
            if await revoker.fetchval(blocked, pid):
                break
            await asyncio.sleep(0.01)
        assert not start.done(), "the session start did not wait for the revoke"
        await tx.commit()
        with pytest.raises(KeyRevoked):
            await start
    finally:
        await revoker.close()
    assert await store.sessions.get(token.instance_id, session.id) is None
    assert (await store.tokens.get_any(token.id)).status == "pending"  # type: ignore[union-attr]
