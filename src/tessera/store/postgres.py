"""PostgreSQL through asyncpg: the store that several Tessera nodes share.

Each process keeps a pool of connections. A statement outside a transaction borrows one for
its own duration; a transaction holds one connection from ``BEGIN`` to ``COMMIT``. Isolation
is PostgreSQL's default, READ COMMITTED: every single-use rule is one conditional statement
(``UPDATE … WHERE status = 'pending' RETURNING …``) whose row count decides, and that is
correct under READ COMMITTED because the second writer re-checks the ``WHERE`` on the row the
first one committed. No application lock, no state kept in the process.

The URL is ``postgresql://user[:password]@host[:port]/database`` with optional query
parameters, all handed to the server as settings except the ones Tessera reads itself:

``pool_size``
    connections per process (default 10). Across all nodes and ``--workers`` the total
    must stay below the server's ``max_connections`` (or put PgBouncer in front).
``statement_cache_size``
    prepared statements cached per connection (default 100); ``0`` behind PgBouncer in
    transaction mode, which cannot keep a prepared statement across transactions.

Any other parameter (``search_path=tessera``, ``application_name=…``, ``sslmode=require``)
goes to asyncpg, which passes unknown ones to the server as session settings.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from tessera.errors import ConfigError
from tessera.store.database import Database, Row, UniqueViolation, apply_migrations, split_script

__all__ = ["DEFAULT_POOL_SIZE", "SETUP_LOCK", "PostgresDatabase", "numbered", "split_url"]

DEFAULT_POOL_SIZE = 10
# First half of the two-part advisory lock key held by exclusive transactions (migrations,
# first-start setup): "tess" in ASCII. The second half is a hash of the schema, so separate
# databases or schemas never wait on each other.
SETUP_LOCK = 0x74657373
_OWN_OPTIONS = ("pool_size", "statement_cache_size")
# A quoted literal or identifier ('it''s', "name"), kept whole; a ``?`` anywhere else is a mark.
_QUOTED = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")


@lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """``sql`` with each ``?`` placeholder as ``$1``, ``$2``, … (quoted text left alone)."""
    parts = _QUOTED.split(sql)
    count = 0
    for index in range(0, len(parts), 2):  # even parts are outside quotes
        pieces = parts[index].split("?")
        text = pieces[0]
        for piece in pieces[1:]:
            count += 1
            text += f"${count}{piece}"
        parts[index] = text
    return "".join(parts)


def split_url(url: str, **overrides: int) -> tuple[str, dict[str, int]]:
    """The DSN for asyncpg and Tessera's own options (from the query, or ``overrides``)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    options: dict[str, int] = {}
    for name, value in query:
        if name in _OWN_OPTIONS:
            try:
                options[name] = int(value)
            except ValueError:
                raise ConfigError(
                    f"TESSERA_DATABASE_URL: {name} must be a whole number, not {value!r}."
                ) from None
    options.update(overrides)
    if options.setdefault("pool_size", DEFAULT_POOL_SIZE) < 1:
        raise ConfigError("TESSERA_DATABASE_URL: pool_size must be at least 1.")
    if options.get("statement_cache_size", 0) < 0:
        raise ConfigError("TESSERA_DATABASE_URL: statement_cache_size cannot be negative.")
    rest = urlencode([(k, v) for k, v in query if k not in _OWN_OPTIONS])
    return urlunsplit(parts._replace(scheme="postgresql", query=rest)), options


def _row_count(status: str) -> int:
    """Rows changed, from a command tag such as ``INSERT 0 1`` or ``UPDATE 3``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Statements:
    """Statements with ``?`` marks, run on a pool (each borrows a connection) or a connection."""

    dialect = "postgresql"

    def __init__(self, target: Any) -> None:
        self._target = target  # an asyncpg Pool or Connection: both have execute/fetch/fetchrow

    async def execute(self, sql: str, *params: Any) -> int:
        try:
            status: str = await self._target.execute(numbered(sql), *params)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(exc.constraint_name or str(exc)) from None
        return _row_count(status)

    async def fetchone(self, sql: str, *params: Any) -> Row | None:
        try:
            record = await self._target.fetchrow(numbered(sql), *params)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(exc.constraint_name or str(exc)) from None
        return None if record is None else tuple(record)

    async def fetchall(self, sql: str, *params: Any) -> list[Row]:
        try:
            records = await self._target.fetch(numbered(sql), *params)
        except asyncpg.UniqueViolationError as exc:
            raise UniqueViolation(exc.constraint_name or str(exc)) from None
        return [tuple(record) for record in records]

    def memo(self) -> dict[Hashable, Any]:
        return {}  # another node's change is only seen by asking: nothing is reused

    def forget(self) -> None:
        pass

    async def scrub(self) -> None:
        pass  # PostgreSQL's files are the server's: its VACUUM reclaims dead rows


class _InTransaction(_Statements):
    """The :class:`Database` a transaction yields: every statement on its one connection."""

    def transaction(self, *, exclusive: bool = False) -> Any:
        raise RuntimeError("nested transaction")

    async def script(self, sql: str) -> None:
        for statement in split_script(sql):
            await self._target.execute(statement)

    async def close(self) -> None:
        raise RuntimeError("close the database, not a transaction")


class PostgresDatabase(_Statements):
    """A pool over one PostgreSQL database (or schema, with ``?search_path=``)."""

    migrated = (0, 0)  # the schema version open() found, and the one it reached

    def __init__(self, pool: Any) -> None:
        super().__init__(pool)
        self._pool = pool

    @property
    def pool_size(self) -> int:
        """The most connections this process opens to the database."""
        size: int = self._pool.get_max_size()
        return size

    @classmethod
    async def open(cls, url: str, **options: int) -> PostgresDatabase:
        """Connect, then migrate under the advisory lock (another node may be doing the same)."""
        dsn, own = split_url(url, **options)
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=own["pool_size"],
                statement_cache_size=own.get("statement_cache_size", 100),
                reset=_keep_session,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise ConfigError(
                f"Could not connect to PostgreSQL at {_where(dsn)}: {exc}. Check "
                "TESSERA_DATABASE_URL and that the server accepts connections."
            ) from None
        db = cls(pool)
        try:
            db.migrated = await db.migrate()
        except BaseException:
            await pool.close()
            raise
        return db

    async def migrate(self) -> tuple[int, int]:
        """Apply pending migrations in one transaction holding the migration lock; the version
        found and the one reached.

        The exclusive transaction's ``pg_advisory_xact_lock`` makes a second node starting at
        the same moment wait until the first commits; it then finds the schema current and
        changes nothing. DDL is transactional in PostgreSQL, so a failed migration leaves no
        half-made schema.
        """
        async with self.transaction(exclusive=True) as tx:
            return await apply_migrations(tx)

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = False) -> AsyncIterator[Database]:
        async with self._pool.acquire() as conn, conn.transaction():
            tx = _InTransaction(conn)
            if exclusive:  # released by COMMIT or ROLLBACK
                await tx.fetchone(
                    "SELECT pg_advisory_xact_lock(?, hashtext(coalesce(current_schema(), '')))",
                    SETUP_LOCK,
                )
            yield tx

    async def script(self, sql: str) -> None:
        async with self.transaction() as tx:
            await tx.script(sql)

    async def close(self) -> None:
        await self._pool.close()


async def _keep_session(conn: Any) -> None:
    """What a connection needs on its way back to the pool: nothing beyond the rollback of an
    unfinished transaction, which asyncpg always does. Its default adds a round trip
    (``RESET ALL``, ``UNLISTEN *``, …) after every statement, for session state Tessera
    never creates: no ``SET``, ``LISTEN``, cursor or session-level advisory lock."""


def _where(dsn: str) -> str:
    """``host:port/database`` of a DSN: enough to find it, no user or password."""
    parts = urlsplit(dsn)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"
