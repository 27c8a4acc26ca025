"""What only PostgreSQL has: placeholders, URL options, the pool, the advisory lock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from databases import KINDS, PostgresRun
from tessera.errors import ConfigError
from tessera.store import UniqueViolation, open_store
from tessera.store.database import migrations
from tessera.store.postgres import SETUP_LOCK, PostgresDatabase, numbered, split_url


@pytest.fixture
def pg_url(postgres_run: PostgresRun) -> Iterator[str]:
    """An empty PostgreSQL schema (these tests are about PostgreSQL alone)."""
    if "postgresql" not in KINDS:
        pytest.skip("TESSERA_TEST_DATABASES leaves PostgreSQL out")
    with postgres_run.schema(fresh=True) as url:
        yield url


def schema_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["search_path"][0]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ?", "SELECT $1"),
        ("UPDATE t SET a = ?, b = ? WHERE c = ?", "UPDATE t SET a = $1, b = $2 WHERE c = $3"),
        ("SELECT '?', ? WHERE x = 'it''s ?'", "SELECT '?', $1 WHERE x = 'it''s ?'"),
        (
            'SELECT "odd?name" FROM t WHERE a IN (?, ?)',
            'SELECT "odd?name" FROM t WHERE a IN ($1, $2)',
        ),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_question_marks_outside_quotes_become_numbered_parameters(sql: str, expected: str) -> None:
    """Each ? outside a quoted literal or identifier becomes $1, $2, … in order."""
    assert numbered(sql) == expected


def test_tesseras_own_url_options_are_read_and_removed_from_the_dsn() -> None:
    """pool_size and statement_cache_size are Tessera's; other query parameters stay in the
    DSN for the server; an explicit option wins over the URL."""
    dsn, options = split_url(
        "postgres://u:pw@db:6432/app?pool_size=3&application_name=node-a&statement_cache_size=0"
    )
    assert dsn == "postgresql://u:pw@db:6432/app?application_name=node-a"
    assert options == {"pool_size": 3, "statement_cache_size": 0}
    assert split_url("postgresql://db/app?pool_size=3", pool_size=7)[1] == {"pool_size": 7}
    assert split_url("postgresql://db/app")[1] == {"pool_size": 10}


@pytest.mark.parametrize("query", ["pool_size=0", "pool_size=ten", "statement_cache_size=-1"])
def test_a_bad_url_option_is_a_config_error_naming_it(query: str) -> None:
    """A pool option that is not a usable number is refused before connecting."""
    with pytest.raises(ConfigError) as caught:
        split_url(f"postgresql://db/app?{query}")
    assert query.split("=")[0] in caught.value.long_message


async def test_the_pool_size_comes_from_the_url(pg_url: str) -> None:
    """?pool_size=3 caps the process's connections at three."""
    store = await open_store(pg_url + "&pool_size=3")
    try:
        assert isinstance(store.db, PostgresDatabase)
        assert store.db.pool_size == 3
        pids = await asyncio.gather(
            *(store.db.fetchone("SELECT pg_backend_pid(), pg_sleep(0.05)") for _ in range(12))
        )
        assert len({row[0] for row in pids if row}) <= 3
    finally:
        await store.close()


async def test_an_unreachable_server_is_a_config_error_without_the_password() -> None:
    """A server that refuses connections is reported with host, port and database only."""
    with pytest.raises(ConfigError) as caught:
        await open_store("postgresql://postgres:hunter2@127.0.0.1:1/tessera")
    message = caught.value.long_message
    assert message.startswith("Could not connect to PostgreSQL at 127.0.0.1:1/tessera")
    assert "hunter2" not in message


async def test_the_tables_live_in_the_schema_the_url_names(pg_url: str) -> None:
    """?search_path=… puts Tessera's tables in that schema, not in public."""
    store = await open_store(pg_url)
    try:
        row = await store.db.fetchone(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = ? AND table_schema IN (?, 'public')",
            "sign_in_tokens",
            schema_of(pg_url),
        )
    finally:
        await store.close()
    assert row == (schema_of(pg_url),)


async def test_a_unique_violation_names_the_constraint(pg_url: str) -> None:
    """UniqueViolation carries PostgreSQL's constraint name; execute returns row counts."""
    store = await open_store(pg_url)
    try:
        insert = "INSERT INTO instances (id, name, created_at) VALUES (?, ?, ?)"
        assert await store.db.execute(insert, "ins_a", "a", 1) == 1
        assert await store.db.execute(insert, "ins_b", "b", 1) == 1
        with pytest.raises(UniqueViolation) as caught:
            await store.db.execute(insert, "ins_a", "again", 1)
        assert caught.value.detail == "instances_pkey"
        assert await store.db.execute("UPDATE instances SET name = ?", "x") == 2
    finally:
        await store.close()


async def test_a_transaction_runs_on_one_connection_and_rolls_back_on_error(pg_url: str) -> None:
    """Every statement of a transaction sees one backend; an exception undoes them all."""
    store = await open_store(pg_url)
    try:
        with pytest.raises(LookupError):
            async with store.db.transaction() as tx:
                first = await tx.fetchone("SELECT pg_backend_pid()")
                await tx.execute(
                    "INSERT INTO instances (id, name, created_at) VALUES (?, ?, ?)", "ins_t", "t", 1
                )
                assert await tx.fetchone("SELECT pg_backend_pid()") == first
                raise LookupError
        assert await store.db.fetchone("SELECT id FROM instances WHERE id = ?", "ins_t") is None
    finally:
        await store.close()


async def test_nodes_starting_together_migrate_one_after_the_other(pg_url: str) -> None:
    """While the migration lock is held, two opening nodes wait on it and migrate nothing;
    released, both open and each migration is recorded once."""
    run_db = pg_url.split("?")[0]
    holder = await asyncpg.connect(run_db)
    try:
        key = await holder.fetchval("SELECT hashtext($1)", schema_of(pg_url))
        await holder.execute("SELECT pg_advisory_lock($1, $2)", SETUP_LOCK, key)
        openers = [asyncio.create_task(open_store(pg_url)) for _ in range(2)]
        waiting = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        while await holder.fetchval(waiting) < 2:
            assert not any(task.done() for task in openers)
            await asyncio.sleep(0.01)
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1"
        assert await holder.fetchval(tables, schema_of(pg_url)) == 0
        await holder.execute("SELECT pg_advisory_unlock($1, $2)", SETUP_LOCK, key)
        stores = await asyncio.gather(*openers)
        rows = await stores[0].db.fetchall("SELECT version FROM schema_migrations ORDER BY version")
        assert [r[0] for r in rows] == [v for v, _ in migrations()]
        for store in stores:
            await store.close()
    finally:
        await holder.close()
