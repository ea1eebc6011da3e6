"""The pool pings a connection only after it sat idle: a hot checkout costs no round trip,
and a connection the server killed while idle is replaced before anyone uses it.

What the driver sends is watched on the wire's side of SQLAlchemy: SQLite's trace callback
and asyncpg's query logger see every statement; on MariaDB the ping is `COM_PING` (no
statement), counted by the server in the session's `Com_admin_commands`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from parley.core.database import create_engine
from tests.support.services import test_settings

IDLE = 0.3  # seconds: the engines below ping a connection idle this long
HOT_WORK = "SELECT 2"
#: a checkout's own statements as the drivers log them (asyncpg logs its transaction
#: statements and plain queries such as the ping's `;`, not prepared ones like the work)
OWN_STATEMENTS = {HOT_WORK, "BEGIN IMMEDIATE", "ROLLBACK", "BEGIN;", "ROLLBACK;"}


def _engine(db_url: str, idle: float) -> AsyncEngine:
    """One pooled connection, so every checkout is the same connection until it dies."""
    return create_engine(test_settings(db_url, db_pool_size=1, db_ping_after_idle_seconds=idle))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = _engine(db_url, IDLE)
    try:
        yield engine
    finally:
        await engine.dispose()


class Wire:
    """What one DBAPI connection sends: statements (SQLite, PostgreSQL), pings (all)."""

    def __init__(self, dialect: str, driver: Any) -> None:
        self.dialect, self.driver = dialect, driver
        self.statements: list[str] = []

    @classmethod
    async def attach(cls, conn: AsyncConnection) -> Wire:
        raw = await conn.get_raw_connection()
        wire = cls(conn.dialect.name, raw.driver_connection)
        if wire.dialect == "sqlite":
            await wire.driver.set_trace_callback(wire.statements.append)
        elif wire.dialect == "postgresql":
            wire.driver.add_query_logger(lambda record: wire.statements.append(record.query))
        return wire

    async def pings(self) -> int:
        """How many pings this connection has sent so far."""
        if self.dialect == "sqlite":
            return self.statements.count("SELECT 1")
        if self.dialect == "postgresql":
            return self.statements.count(";")
        async with self.driver.cursor() as cursor:  # MariaDB: the server's own count
            await cursor.execute("SHOW SESSION STATUS LIKE 'Com_admin_commands'")
            return int((await cursor.fetchone())[1])


async def _use(engine: AsyncEngine) -> int:
    """Check a connection out, run the work, check it in; the server-side connection id."""
    async with engine.connect() as conn:
        await conn.execute(text(HOT_WORK))
        return await _backend_id(conn)


async def _backend_id(conn: AsyncConnection) -> int:
    if conn.dialect.name == "postgresql":
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    if conn.dialect.name == "sqlite":
        return 0
    return int((await conn.execute(text("SELECT CONNECTION_ID()"))).scalar_one())


async def _kill(db_url: str, backend_id: int) -> None:
    """End the connection from the server's side, as a restart or an operator would, and
    wait until the server no longer lists it."""
    admin = create_engine(test_settings(db_url))
    try:
        async with admin.connect() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text(f"SELECT pg_terminate_backend({backend_id}, 10000)"))
                listed = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {backend_id}"
            else:
                await conn.execute(text(f"KILL {backend_id}"))
                listed = (
                    f"SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = {backend_id}"
                )
        for _ in range(100):
            async with admin.connect() as conn:  # a new snapshot each time
                if not (await conn.execute(text(listed))).scalar_one():
                    return
            await asyncio.sleep(0.05)
        raise AssertionError(f"connection {backend_id} is still there")
    finally:
        await admin.dispose()


async def test_only_an_idle_connection_is_pinged(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        wire = await Wire.attach(conn)
        await conn.execute(text(HOT_WORK))
    for _ in range(5):  # hot: checked out again at once
        before = len(wire.statements)
        await _use(engine)
        assert await wire.pings() == 0
        if wire.dialect != "mysql":  # the work's own statements, and nothing else
            sent = wire.statements[before:]
            assert set(sent) <= OWN_STATEMENTS, sent
    await asyncio.sleep(IDLE * 1.5)
    await _use(engine)
    assert await wire.pings() == 1
    await _use(engine)
    assert await wire.pings() == 1  # hot again


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
async def test_a_connection_killed_while_idle_is_replaced_unseen(
    engine: AsyncEngine, db_url: str
) -> None:
    first = await _use(engine)
    await _kill(db_url, first)
    await asyncio.sleep(IDLE * 1.5)
    second = await _use(engine)  # no error: the ping found it dead, the pool replaced it
    assert second != first
    assert await _use(engine) == second


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
async def test_a_connection_killed_while_hot_fails_once_then_is_replaced(db_url: str) -> None:
    """Not pinged (it was used within the idle time): its statement fails as a disconnect,
    which the API answers 503 "unavailable", and the next checkout gets a new connection."""
    engine = _engine(db_url, 3600)
    try:
        first = await _use(engine)
        await _kill(db_url, first)
        with pytest.raises(sa_exc.DBAPIError) as failure:
            await _use(engine)
        assert failure.value.connection_invalidated
        second = await _use(engine)
        assert second != first
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
async def test_both_servers_run_transactions_read_committed(engine: AsyncEngine) -> None:
    # MariaDB's REPEATABLE READ gap locks deadlocked an edit against the search indexer
    asked = (
        "SELECT @@tx_isolation" if engine.dialect.name == "mysql" else "SHOW transaction_isolation"
    )
    async with engine.connect() as conn:
        level = str(await conn.scalar(text(asked)))
    assert level.replace("-", " ").lower() == "read committed"
