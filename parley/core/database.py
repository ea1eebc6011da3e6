"""The async engine, sessions and column types shared by every domain."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import stat
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, Text, event, text
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from parley.core.config import Settings
from parley.core.errors import is_transaction_conflict

MAX_BIGINT = 2**63 - 1
T = TypeVar("T")
#: how often `run_in_transaction` runs its work again after the server picked the transaction
#: as a deadlock's victim (PostgreSQL, MariaDB); SQLite has one writer and no deadlocks
CONFLICT_RETRIES = 3

#: An auto-incrementing 64-bit key; SQLite only auto-increments INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer, "sqlite")
#: Text that holds more than MySQL's 64 KiB TEXT.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC (microseconds on every backend), read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp(value: datetime) -> str:
    """A UTC time as frames carry it (ISO 8601 with `Z`, as the API's JSON has it).

    The last answer is kept: a batch's messages share one `now`, formatted once."""
    global _last_timestamp
    last = _last_timestamp
    if last[0] is value:
        return last[1]
    text = value.isoformat().replace("+00:00", "Z")
    _last_timestamp = (value, text)
    return text


_last_timestamp: tuple[datetime | None, str] = (None, "")


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _connect_args(settings: Settings) -> dict[str, Any]:
    if settings.is_sqlite:
        return {"timeout": 30}
    if settings.database_url.startswith("mysql"):
        return {"charset": "utf8mb4"}
    return {}


#: SQLite's files beside the database: the WAL, its shared-memory index, a rollback journal
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
log = logging.getLogger(__name__)


def _sqlite_file(engine: Engine) -> str | None:
    """The database file of a SQLite engine, or None (in memory, or a `file:` URI)."""
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("uri"):
        return None
    return database


def create_private_file(path: str) -> None:
    """Create `path` empty with mode 0600 unless it exists, whatever the umask.

    SQLite gives the `-wal` and `-shm` files it creates the mode of the database file, so a
    database that starts 0600 keeps all three owner-only. `O_CREAT` with an explicit mode is
    atomic and touches no process-wide state (changing the umask would race other threads).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # e.g. a missing directory: SQLite's own open reports it
    os.close(fd)


def restrict_sqlite_files(path: str) -> None:
    """Make the database and its companion files owner-only (files from an older version,
    a restore or a copy may be world-readable; the secret key file gets the same care)."""
    for name in (path, *(path + suffix for suffix in SQLITE_COMPANIONS)):
        try:
            mode = os.stat(name).st_mode
            if stat.S_ISREG(mode) and mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not our file: say so once per connection, keep serving
            log.warning("cannot make %s owner-only: %s", name, exc.strerror)


def _install_sqlite_pragmas(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions;
    the database file and its WAL files are created (or tightened to) 0600."""
    database = _sqlite_file(engine)

    @event.listens_for(engine, "do_connect")
    def _before_connect(*_args: Any) -> None:
        if database is not None:  # before SQLite opens it and creates the -wal and -shm
            create_private_file(database)
            restrict_sqlite_files(database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if database is not None:  # the -wal and -shm exist now: one made meanwhile, too
            restrict_sqlite_files(database)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("parley_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


#: `ConnectionPoolEntry.info` key: when the connection went back to the pool
_IDLE_SINCE = "parley_idle_since"


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection on checkout only if it sat idle for `idle_seconds` or more.

    `pool_pre_ping` pings on every checkout (on asyncpg `BEGIN`, `;`, `ROLLBACK`: three
    round trips before a short read's own). A connection used a moment ago is almost surely
    alive; one idle across a database restart or an idle timeout is not. A ping that finds
    it dead raises `InvalidatePoolError`: the pool replaces it, and every connection opened
    before now is replaced on its next checkout. A connection that dies while hot fails its
    statement, which SQLAlchemy reports as a disconnect (`connection_invalidated`, answered
    503 "unavailable") and which invalidates the pool the same way.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
        entry.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
        entry.info.pop(_IDLE_SINCE, None)  # just connected: nothing to check

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, entry: ConnectionPoolEntry, _proxy: Any) -> None:
        since = entry.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise sa_exc.InvalidatePoolError(f"idle connection lost: {exc}") from exc
            raise


def create_engine(settings: Settings) -> AsyncEngine:
    kwargs: dict[str, Any] = {
        "connect_args": _connect_args(settings),
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size * 2,
        "pool_timeout": 10,
    }
    if settings.database_url.startswith("mysql"):
        # PostgreSQL's default. InnoDB's REPEATABLE READ takes gap locks on every locking
        # read and range delete, and those deadlocked an edit (its trigger's insert into the
        # search queue) against the indexer's batch; nothing here relies on repeatable reads
        kwargs["isolation_level"] = "READ COMMITTED"
    engine = create_async_engine(settings.database_url, **kwargs)
    _ping_after_idle(engine.sync_engine, settings.db_ping_after_idle_seconds)
    if settings.is_sqlite:
        _install_sqlite_pragmas(engine.sync_engine)
    return engine


def _create_sqlite_batch_engine(async_engine: AsyncEngine) -> Engine:
    """A synchronous engine on the same SQLite file, for whole-batch writes in one thread."""
    url = async_engine.url.set(drivername="sqlite+pysqlite")
    engine = sa_create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    _install_sqlite_pragmas(engine)
    return engine


class Database:
    """One engine and its session factories: writes use BEGIN IMMEDIATE on SQLite."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        read_engine = engine.execution_options(parley_read_only=True)
        self.read_sessions = async_sessionmaker(read_engine, expire_on_commit=False)
        self._batch_engine: Engine | None = None
        self._batch_thread: ThreadPoolExecutor | None = None

    async def run_in_transaction(self, work: Callable[[Connection], T]) -> T:
        """Run `work` (synchronous Core statements) in one write transaction.

        On SQLite the whole transaction runs in a dedicated thread on a synchronous
        connection, so a hot path pays one thread hand-off per transaction instead of
        several per statement; elsewhere it runs on the async driver through `run_sync`,
        and runs again (up to `CONFLICT_RETRIES` times, after a short random pause) when
        the server rolled it back as a deadlock's victim: `work` must only touch the database.
        """
        if self.engine.dialect.name != "sqlite":
            for attempt in range(CONFLICT_RETRIES + 1):
                try:
                    async with self.engine.begin() as conn:
                        return await conn.run_sync(work)
                except sa_exc.DBAPIError as exc:
                    if attempt == CONFLICT_RETRIES or not is_transaction_conflict(exc):
                        raise
                    log.info("transaction conflict; running it again", extra={"try": attempt})
                    await asyncio.sleep(random.uniform(0.0, 0.01 * 2**attempt))
        if self._batch_engine is None or self._batch_thread is None:
            self._batch_engine = _create_sqlite_batch_engine(self.engine)
            self._batch_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-batch")
        engine = self._batch_engine

        def in_thread() -> T:
            with engine.begin() as conn:
                return work(conn)

        return await asyncio.get_running_loop().run_in_executor(self._batch_thread, in_thread)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._batch_thread is not None:
            self._batch_thread.shutdown(wait=True)
        if self._batch_engine is not None:
            self._batch_engine.dispose()
        await self.engine.dispose()
