"""Real services for the tests: fresh databases on SQLite, PostgreSQL and MariaDB.

A missing service skips with its name on a laptop; under CI=true it fails the test instead.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import socket
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from parley.core.config import Settings
from parley.core.database import create_engine
from parley.core.migrate import upgrade_database

POSTGRES_ADMIN_URL = os.environ.get(
    "PARLEY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN_URL = os.environ.get(
    "PARLEY_TEST_MARIADB_URL", "mysql+aiomysql://root@127.0.0.1:3306/mysql"
)
REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = ("sqlite", "postgres", "mariadb")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def service_missing(name: str, reason: str) -> None:
    """Skip (laptop) or fail (CI) because a real service is not there."""
    message = f"{name} is not available: {reason}"
    if in_ci():
        pytest.fail(message + " (CI=true: nothing may skip)")
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def worker_suffix() -> str:
    """Unique per test process, so parallel runs (xdist workers, two developers) never share."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


#: (admin URL, name) of every server database this test process made, dropped at the end
CREATED_DATABASES: set[tuple[str, str]] = set()


async def _drop_statement(conn: Any, is_mysql: bool, name: str) -> None:
    if is_mysql:
        await conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    else:
        await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _recreate_server_database(admin_url: str, name: str, template: str | None = None) -> str:
    url = make_url(admin_url)
    is_mysql = url.drivername.startswith("mysql")
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await _drop_statement(conn, is_mysql, name)
            if is_mysql:
                await conn.exec_driver_sql(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                )
            else:
                copy = f' TEMPLATE "{template}"' if template else ""
                await conn.exec_driver_sql(f"CREATE DATABASE \"{name}\"{copy} ENCODING 'UTF8'")
    finally:
        await engine.dispose()
    CREATED_DATABASES.add((admin_url, name))
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_created_databases() -> None:
    """Drop this process's test databases, so repeated runs leave nothing behind."""
    for admin_url, name in sorted(CREATED_DATABASES):
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await _drop_statement(
                    conn, make_url(admin_url).drivername.startswith("mysql"), name
                )
        except Exception as exc:  # a server already gone: nothing to clean up there
            print(f"could not drop test database {name}: {exc!r}")
        finally:
            await engine.dispose()
    CREATED_DATABASES.clear()


def _migrate(url: str) -> None:
    async def migrate() -> None:
        engine = create_engine(test_settings(url))
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())


#: backend -> a database this process migrated once; new databases are copies of it (a copy
#: takes milliseconds, the migrations seconds). MariaDB has no copy: it is migrated each time.
_TEMPLATES: dict[str, str] = {}


def _template(backend: str) -> str:
    """The migrated template of `backend`: a SQLite file path or a PostgreSQL database name."""
    if backend not in _TEMPLATES:
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="parley-template-")
            atexit.register(shutil.rmtree, folder, True)
            path = os.path.join(folder, "template.db")
            _migrate(f"sqlite+aiosqlite:///{path}")
            _TEMPLATES[backend] = path
        else:
            name = f"parley_template_{worker_suffix()}"
            _migrate(asyncio.run(_recreate_server_database(POSTGRES_ADMIN_URL, name)))
            _TEMPLATES[backend] = name
    return _TEMPLATES[backend]


def _copy_sqlite(template: str, path: Path) -> None:
    """A consistent copy (the backup API, WAL or not), private like the server's own files."""
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    path.chmod(0o600)


def create_backend_database(backend: str, tmp_dir: Path, label: str = "test") -> str:
    """A new, migrated, empty database for `backend`; returns its URL."""
    name = f"parley_{label}_{worker_suffix()}"
    if backend == "sqlite":
        path = tmp_dir / (name + ".db")
        path.parent.mkdir(parents=True, exist_ok=True)
        _copy_sqlite(_template("sqlite"), path)
        return f"sqlite+aiosqlite:///{path}"
    if backend == "postgres":
        if not port_open("127.0.0.1", make_url(POSTGRES_ADMIN_URL).port or 5432):
            service_missing("PostgreSQL", "nothing listens on 127.0.0.1:5432")
        template = _template("postgres")
        return asyncio.run(_recreate_server_database(POSTGRES_ADMIN_URL, name, template))
    if backend == "mariadb":
        if not port_open("127.0.0.1", make_url(MARIADB_ADMIN_URL).port or 3306):
            service_missing("MariaDB", "nothing listens on 127.0.0.1:3306")
        url = asyncio.run(_recreate_server_database(MARIADB_ADMIN_URL, name))
        _migrate(url)
        return url
    raise ValueError(backend)


TEST_VAPID_KEY = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"


def test_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: real database, cheap password hashing, a fixed key."""
    values: dict[str, object] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-" + "x" * 32,
        # a fixed VAPID key (the base64url P-256 scalar 1…1), so no `parley.vapid` is
        # generated into the working directory of a non-SQLite test
        "vapid_private_key": TEST_VAPID_KEY,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        # suites sign up many members from one address; the throttle has its own tests
        "signups_per_address": 1_000_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


#: a factory, not a test: keep pytest from collecting it where it is imported
test_settings.__test__ = False  # type: ignore[attr-defined]
