"""The store: one interface over SQLite or PostgreSQL, chosen by the database URL's scheme.

``Store`` groups one repository per record kind (``instances``, ``users``, ``tokens``,
``sessions``, ``signing_keys``, ``rate_limits``), each written once in SQL both databases
speak. The single-use rules are single statements here:
see ``ARCHITECTURE.md`` for the list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tessera.errors import ConfigError
from tessera.sealed import Keyring
from tessera.store.database import Database, SchemaTooNew, UniqueViolation
from tessera.store.idempotency import IdempotencyKeys
from tessera.store.instances import Instances
from tessera.store.rate_limits import RateLimits
from tessera.store.sessions import Sessions
from tessera.store.signing_keys import SigningKeys
from tessera.store.tokens import Tokens
from tessera.store.users import Users

__all__ = ["Database", "SchemaTooNew", "Store", "UniqueViolation", "open_store"]


class Store:
    """Everything Tessera keeps, over one :class:`Database`."""

    def __init__(
        self,
        db: Database,
        keyring: Keyring | None = None,
        *,
        migrated: tuple[int, int] = (0, 0),
    ) -> None:
        self.db = db
        self.keyring = keyring or Keyring()
        self.migrated = migrated  # when opened: the schema version found, and the one reached
        self.instances = Instances(db)
        self.users = Users(db)
        self.tokens = Tokens(db)
        self.idempotency = IdempotencyKeys(db)
        self.sessions = Sessions(db)
        self.signing_keys = SigningKeys(db, self.keyring)
        self.rate_limits = RateLimits(db)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[Store]:
        """This store inside a transaction that keeps out every other process's exclusive
        transaction: first-start setup that reads, then creates what it did not find."""
        async with self.db.transaction(exclusive=True) as tx:
            yield Store(tx, self.keyring)

    async def close(self) -> None:
        await self.db.close()


async def open_store(url: str, *, keyring: Keyring | None = None, **options: int) -> Store:
    """Open (and migrate) the database at ``url``: ``sqlite:///…`` or ``postgresql://…``.
    ``keyring`` seals and opens the signing keys' private halves (default: plaintext)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from tessera.store.sqlite import SQLiteDatabase

        sqlite = await SQLiteDatabase.open(url)
        return Store(sqlite, keyring, migrated=sqlite.migrated)
    if scheme in ("postgresql", "postgres"):
        try:
            from tessera.store.postgres import PostgresDatabase
        except ImportError as exc:
            raise ConfigError(
                "PostgreSQL needs the driver: pip install 'tessera[postgres]'."
            ) from exc
        postgres = await PostgresDatabase.open(url, **options)
        return Store(postgres, keyring, migrated=postgres.migrated)
    raise ConfigError(
        f"TESSERA_DATABASE_URL must start with sqlite:// or postgresql://, not {scheme}://."
    )
