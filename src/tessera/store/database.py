"""What the SQL store needs of a database, and the versioned migrations both dialects share.

A :class:`Database` runs one statement at a time with ``?`` placeholders (each driver
translates them) and opens transactions. Rows come back as tuples. A unique-constraint
failure is raised as :class:`UniqueViolation` naming the index, whatever the driver.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from contextlib import AbstractAsyncContextManager
from importlib import resources
from typing import Any, Protocol

from tessera.errors import ConfigError

__all__ = [
    "Database",
    "Row",
    "SchemaTooNew",
    "UniqueViolation",
    "apply_migrations",
    "migrations",
    "split_script",
]

Row = tuple[Any, ...]


class UniqueViolation(Exception):
    """An INSERT or UPDATE hit a unique index; ``detail`` names it (index or columns)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SchemaTooNew(ConfigError):
    """The database was migrated by a newer Tessera than this one."""


class Database(Protocol):
    dialect: str

    async def execute(self, sql: str, *params: Any) -> int:
        """Run one statement; the number of rows it changed."""

    async def fetchone(self, sql: str, *params: Any) -> Row | None: ...

    async def fetchall(self, sql: str, *params: Any) -> list[Row]: ...

    def transaction(self, *, exclusive: bool = False) -> AbstractAsyncContextManager[Database]:
        """A transaction; statements on the yielded database run inside it.

        ``exclusive`` also keeps out every other process's exclusive transaction (and
        migration) until this one ends: for setup that reads, then writes what it did not
        find, such as the first start of several nodes at once.
        """

    async def script(self, sql: str) -> None:
        """Run several ``;``-separated statements (migrations), inside the caller's transaction."""

    async def scrub(self) -> None:
        """Leave no copy of rows just erased (a private key) in the database's own files
        where the driver can see to it (SQLite's WAL); call it after such an erase."""

    def memo(self) -> dict[Hashable, Any]:
        """Where reads of rarely written rows (live secret keys) may be kept for reuse. It is
        emptied whenever another connection may have changed the database; a repository that
        changes such rows itself calls :meth:`forget`. A driver that cannot tell cheaply
        hands out an empty dict each time, so that nothing is reused."""

    def forget(self) -> None:
        """Empty :meth:`memo`: this connection has just changed rows that may be kept there."""

    async def close(self) -> None: ...


def split_script(sql: str) -> list[str]:
    """The statements of a migration file: ``--`` comment lines dropped, split on ``;``."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [statement.strip() for statement in code.split(";") if statement.strip()]


def migrations() -> list[tuple[int, str]]:
    """``(version, sql)`` for every migration file, in order."""
    folder = resources.files("tessera.store") / "migrations"
    found = [
        (int(entry.name.split("_", 1)[0]), entry.read_text())
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found)


async def apply_migrations(
    db: Database, steps: Sequence[tuple[int, str]] | None = None
) -> tuple[int, int]:
    """Bring the schema to the newest version; the version found (0: none) and the one reached.

    The caller holds whatever lock keeps two processes from migrating at once. Refuses a
    database whose schema is newer than this code knows.
    """
    steps = migrations() if steps is None else steps
    newest_known = steps[-1][0] if steps else 0
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at BIGINT)"
    )
    row = await db.fetchone("SELECT MAX(version) FROM schema_migrations")
    current = row[0] if row and row[0] is not None else 0
    if current > newest_known:
        raise SchemaTooNew(
            f"The database schema is at version {current}, newer than the {newest_known} this "
            "Tessera knows: upgrade Tessera before serving this database."
        )
    found = current
    for version, sql in steps:
        if version > current:
            await db.script(sql)
            await db.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", version
            )
            current = version
    return found, current
