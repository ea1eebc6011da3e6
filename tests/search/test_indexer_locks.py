"""The indexer takes its locks in the writers' order, so it never deadlocks against them.

A writer locks a message row, then its trigger (an edit) or cascade (a delete) touches the
message's queue row. An indexer that claimed the queue row first and met the message row
only at the grams' foreign-key check deadlocked such a writer: in CI a moderator's delete
on MariaDB was the victim (1213) and the request failed. Here the writer's change is made
to wait while the indexer holds its claim, exactly between the two halves of a batch.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from parley.accounts.models import Member
from parley.chat.models import Message
from parley.core.runtime import Runtime
from parley.rooms.models import Room
from parley.search.indexer import claim_pending, index_claimed
from parley.search.models import SearchGram, SearchPending


async def _session_id(conn: AsyncConnection) -> int:
    query = (
        "SELECT pg_backend_pid()" if conn.dialect.name == "postgresql" else "SELECT CONNECTION_ID()"
    )
    return int((await conn.execute(text(query))).scalar_one())


async def _until_waiting_for_a_lock(watcher: AsyncConnection, session_id: int) -> None:
    if watcher.dialect.name == "postgresql":
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = :id AND wait_event_type = 'Lock'"
        )
    else:
        query = text(
            "SELECT count(*) FROM information_schema.innodb_trx"
            " WHERE trx_mysql_thread_id = :id AND trx_state = 'LOCK WAIT'"
        )
    for _ in range(100):
        waiting = (await watcher.execute(query, {"id": session_id})).scalar_one()
        await watcher.rollback()
        if waiting:
            return
        await asyncio.sleep(0.2)  # InnoDB refreshes innodb_trx at most every 0.1 s
    raise AssertionError("the writer never waited for the indexer's locks")


# SQLite has one writer at a time and no row locks: nothing to order there
@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
@pytest.mark.parametrize("change", ["edit", "delete"])
async def test_a_writer_meeting_a_claimed_batch_waits_instead_of_deadlocking(
    runtime: Runtime, change: str
) -> None:
    engine = runtime.db.engine
    async with engine.begin() as conn:
        member = (
            await conn.execute(
                insert(Member)
                .values(login_id="lock_order", nickname="n", nickname_key="n", password_hash="x")
                .returning(Member.id)
            )
        ).scalar_one()
        room = (
            await conn.execute(
                insert(Room).values(name="locks", name_key="locks").returning(Room.id)
            )
        ).scalar_one()
        message = (
            await conn.execute(
                insert(Message)
                .values(room_id=room, seq=1, sender_id=member, body="회의실 예약")
                .returning(Message.id)
            )
        ).scalar_one()

    async with engine.connect() as indexer, engine.connect() as writer, engine.connect() as watcher:
        await indexer.begin()
        assert await indexer.run_sync(claim_pending) == [message]
        writer_id = await _session_id(writer)  # and the writer's transaction begins
        where = Message.id == message
        statement = (
            update(Message).where(where).values(body="회의 취소")
            if change == "edit"
            else delete(Message).where(where)
        )
        writing = asyncio.create_task(writer.execute(statement))
        await _until_waiting_for_a_lock(watcher, writer_id)
        await indexer.run_sync(index_claimed, [message])  # the grams' foreign-key check
        await indexer.commit()
        await writing  # no deadlock on either side
        await writer.commit()

    async with engine.connect() as conn:
        queued = (await conn.execute(select(SearchPending.message_id))).scalars().all()
        grams = (
            await conn.execute(select(func.count()).where(SearchGram.message_id == message))
        ).scalar_one()
    if change == "edit":
        assert queued == [message]  # the edit came after the batch: indexed again next time
    else:
        assert queued == [] and grams == 0
