"""`Database.run_in_transaction` runs its work again when the server picks it as a deadlock's
victim (the message writer's batches and the search indexer use it), instead of failing a
whole batch of sends with `unavailable`. The deadlock here is a real one between two
connections; the other side is made the one the server keeps."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.core.errors import is_database_unavailable, is_transaction_conflict
from parley.core.runtime import Runtime
from parley.rooms.models import Room


async def _lock_waiters(watcher: AsyncConnection) -> int:
    if watcher.dialect.name == "postgresql":
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    else:
        query = (
            "SELECT count(*) FROM information_schema.innodb_trx t"
            " JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id"
            " WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()"
        )
    waiting = int((await watcher.execute(text(query))).scalar_one())
    await watcher.rollback()
    return waiting


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
async def test_a_deadlock_victim_is_run_again_and_commits(runtime: Runtime) -> None:
    engine = runtime.db.engine
    async with engine.begin() as conn:
        ids = [
            (await conn.execute(insert(Room).values(name=f"r{i}").returning(Room.id))).scalar_one()
            for i in range(6)
        ]
    first, second, *others = ids
    attempts = 0

    def work(conn: Connection) -> str:
        nonlocal attempts
        attempts += 1
        conn.execute(update(Room).where(Room.id == first).values(topic=f"work {attempts}"))
        conn.execute(update(Room).where(Room.id == second).values(topic=f"work {attempts}"))
        return "stored"

    async with engine.connect() as other, engine.connect() as watcher:
        # the other side holds `second` and has changed more rows: MariaDB keeps the heavier
        # transaction; PostgreSQL aborts the one whose deadlock check runs first, i.e. the
        # one that has waited longest
        for room in (second, *others):
            await other.execute(update(Room).where(Room.id == room).values(topic="other"))
        running = asyncio.create_task(runtime.db.run_in_transaction(work))
        for _ in range(100):
            if await _lock_waiters(watcher):
                break
            await asyncio.sleep(0.2)  # InnoDB refreshes innodb_trx at most every 0.1 s
        else:
            raise AssertionError("the work never waited for the other transaction")
        # closes the cycle; the work is the victim, and its second run waits for this commit
        await other.execute(update(Room).where(Room.id == first).values(topic="other"))
        await other.commit()
        assert await asyncio.wait_for(running, 60) == "stored"
    assert attempts == 2
    async with engine.connect() as conn:
        topics: dict[int, str] = {
            int(row[0]): str(row[1])
            for row in await conn.execute(text("SELECT id, topic FROM rooms"))
        }
    assert topics[first] == topics[second] == "work 2"


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
async def test_only_conflicts_count_as_conflicts(runtime: Runtime) -> None:
    """A constraint violation or a syntax error is not run again: the same work would fail
    the same way (and a duplicate send is answered by the writer, not retried)."""
    async with runtime.db.engine.connect() as conn:
        for wrong in ("SELECT * FROM no_such_table", "INSERT INTO rooms (id) VALUES (NULL)"):
            with pytest.raises(Exception) as caught:
                await conn.execute(text(wrong))
            assert not is_transaction_conflict(caught.value)
            await conn.rollback()


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
async def test_a_deadlock_victim_is_a_conflict_and_answered_unavailable(runtime: Runtime) -> None:
    """Outside `run_in_transaction` (a request's own session) the victim's error is answered
    503 `unavailable`, not 500: asyncpg's deadlock is no OperationalError."""
    engine = runtime.db.engine
    async with engine.begin() as conn:
        first, second = [
            (await conn.execute(insert(Room).values(name=f"d{i}").returning(Room.id))).scalar_one()
            for i in range(2)
        ]
    async with engine.connect() as one, engine.connect() as two, engine.connect() as watcher:
        await one.execute(update(Room).where(Room.id == first).values(topic="one"))
        await two.execute(update(Room).where(Room.id == second).values(topic="two"))
        waiting = asyncio.create_task(
            one.execute(update(Room).where(Room.id == second).values(topic="one"))
        )
        for _ in range(100):
            if await _lock_waiters(watcher):
                break
            await asyncio.sleep(0.2)
        closing = asyncio.create_task(
            two.execute(update(Room).where(Room.id == first).values(topic="two"))
        )
        outcomes = await asyncio.gather(waiting, closing, return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1, outcomes
    assert is_transaction_conflict(failures[0]) and is_database_unavailable(failures[0])
