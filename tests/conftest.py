"""Fixtures: a real server on 127.0.0.1 over a real database, and helpers to talk to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from clerk_backend_api import Clerk
from clerk_backend_api.utils import BackoffStrategy, RetryConfig

from cli_helpers import Cli, both_modes, runner
from databases import KINDS, PostgresRun
from servers import ManualClock, Running, free_port, serve_in_thread
from tessera import keys
from tessera.config import Settings
from tessera.store import Store, open_store

T = TypeVar("T")


# Clerk's SDK as a test client: one attempt per call, so a test sees the first answer.
NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1, 1), False)


@pytest.fixture(scope="session")
def postgres_run() -> Iterator[PostgresRun]:
    """This run's own PostgreSQL database, dropped when the run ends."""
    run = PostgresRun()
    try:
        yield run
    finally:
        run.drop()


def _database(request: pytest.FixtureRequest, tmp_path: Path, *, fresh: bool) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tessera.db'}?synchronous=normal"  # see databases.py
        return
    run: PostgresRun = request.getfixturevalue("postgres_run")
    with run.schema(fresh=fresh) as url:
        yield url


@pytest.fixture(params=KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no rows, for one test: a new SQLite file, or a PostgreSQL schema of
    this run's database (perhaps already migrated: see databases.py)."""
    yield from _database(request, tmp_path, fresh=False)


@pytest.fixture(params=KINDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no one has touched, not even to migrate it: a new SQLite file or schema."""
    yield from _database(request, tmp_path, fresh=True)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The test's database, opened (and migrated) in the test's event loop."""
    opened = await open_store(database_url)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def secret_key() -> str:
    return keys.new_secret_key()


def prepare(database_url: str, secret_key: str) -> None:
    """Migrate the database and register ``secret_key`` for its default instance."""

    in_store(database_url, lambda store: keys.bootstrap(store, secret_key, now=ManualClock()()))


@contextmanager
def start_server(
    database_url: str, secret_key: str, clock: ManualClock, **options: Any
) -> Iterator[Running]:
    """Tessera on 127.0.0.1 (in a thread) with ``options`` as settings."""
    port = free_port()
    settings = Settings(
        database_url=database_url, public_url=f"http://127.0.0.1:{port}", port=port, **options
    )
    prepare(database_url, secret_key)
    with serve_in_thread(settings, clock):
        yield Running(f"http://127.0.0.1:{port}", secret_key, database_url, settings)


@pytest.fixture
def server(database_url: str, secret_key: str, clock: ManualClock) -> Iterator[Running]:
    """Tessera on 127.0.0.1, its default instance opened by ``secret_key``."""
    with start_server(database_url, secret_key, clock) as running:
        yield running


@pytest.fixture
def api(server: Running) -> Iterator[httpx.Client]:
    """A raw HTTP client for ``server``, authorised with its secret key."""
    with server.client() as client:
        yield client


def make_user(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/users", json=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def in_store(database_url: str, use: Callable[[Store], Awaitable[T]]) -> T:
    """Open the test's database beside the server, run ``use(store)``, close it."""

    async def run() -> T:
        store = await open_store(database_url)
        try:
            return await use(store)
        finally:
            await store.close()

    return asyncio.run(run())


@pytest.fixture(params=["direct", "api"])
def cli(
    request: pytest.FixtureRequest,
    server: Running,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    """`tessera …` against the server's database (direct) or the server itself (api)."""
    return both_modes(request.param, server, capsys, monkeypatch)


@pytest.fixture
def direct(server: Running, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`tessera …` against the server's database."""
    return runner(capsys, "--database-url", server.database_url)


@pytest.fixture
def clerk(server: Running) -> Iterator[Clerk]:
    """Clerk's official Python SDK pointed at the server, without its retries."""
    with Clerk(
        bearer_auth=server.secret_key, server_url=server.api_url, retry_config=NO_RETRIES
    ) as sdk:
        yield sdk
