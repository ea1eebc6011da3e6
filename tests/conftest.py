"""Fixtures: real databases (SQLite, PostgreSQL, MariaDB), the app in-process, HTTP clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from parley.app import create_app
from parley.core.config import Settings
from parley.core.runtime import Runtime
from parley.models import Base
from tests.support.live import server
from tests.support.services import (
    BACKENDS,
    create_backend_database,
    drop_created_databases,
    test_settings,
)

_created: dict[str, str] = {}

#: a client of the `server_process` of the requesting test's package (tests/support/live.py)
__all__ = ["server"]


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Backend name -> URL of a migrated database, created on first use in this run."""
    return _created


def _database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend not in _created:
        _created[backend] = create_backend_database(backend, tmp_path_factory.mktemp(backend))
    return _created[backend]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Parametrises a test over every supported database."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(backend, tmp_path_factory)


@pytest.fixture
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url("sqlite", tmp_path_factory)


async def _empty_tables(runtime: Runtime) -> None:
    async with runtime.db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(text(f"DELETE FROM {table.name}"))


@pytest.fixture
def settings(db_url: str) -> Settings:
    return test_settings(db_url)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime on an emptied database."""
    runtime = Runtime.build(settings)
    await _empty_tables(runtime)
    try:
        yield runtime
    finally:
        await runtime.close()


@pytest.fixture
async def client(settings: Settings, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (lifespan included), on a real database."""
    app = create_app(settings, runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the PostgreSQL/MariaDB databases this run created (names are per process)."""
    asyncio.run(drop_created_databases())
