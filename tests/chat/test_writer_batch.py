"""The message writer stores a batch in a fixed number of statements, whatever its size: a
batch of 300 sends costs what a batch of 5 does (one multi-row insert, not one per row)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import Connection, event

from parley.chat.batch import Ack, BatchResult, Send, store_batch
from parley.chat.writer import MessageWriter
from parley.core.runtime import Runtime
from tests.rooms.support import create_room
from tests.support.api import signup


async def _store(runtime: Runtime, sends: list[Send]) -> tuple[BatchResult, int]:
    def work(conn: Connection) -> tuple[BatchResult, int]:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        event.listen(conn, "before_cursor_execute", count)
        try:
            return store_batch(conn, sends), len(statements)
        finally:
            event.remove(conn, "before_cursor_execute", count)

    return await runtime.db.run_in_transaction(work)


async def test_a_batch_costs_the_same_statements_at_any_size(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await signup(client)
    rooms = [(await create_room(client, owner))["id"] for _ in range(2)]

    def batch(tag: str, size: int) -> list[Send]:
        return [Send(owner.id, rooms[n % 2], f"{tag}-{n}", f"{tag} {n}") for n in range(size)]

    small, small_statements = await _store(runtime, batch("small", 5))
    large, large_statements = await _store(runtime, batch("large", 300))
    assert large_statements == small_statements, (small_statements, large_statements)

    acks = [a for a in large.outcomes.values() if isinstance(a, Ack)]
    assert len(acks) == 300 and len(small.outcomes) == 5
    # every ack names the row stored for it: the id matches its (room, seq), in send order
    by_id = {frame["id"]: frame for frame in large.frames}
    for n in range(300):
        ack = large.outcomes[(owner.id, f"large-{n}")]
        assert isinstance(ack, Ack)
        frame = by_id[ack.id]
        assert (frame["room_id"], frame["seq"], frame["body"]) == (
            ack.room_id,
            ack.seq,
            f"large {n}",
        )
    seqs = [
        a.seq
        for n in range(0, 300, 2)
        if isinstance(a := large.outcomes[(owner.id, f"large-{n}")], Ack)
    ]
    assert seqs == sorted(seqs) and len(set(seqs)) == 150


async def test_no_statement_of_a_batch_reads_a_whole_table(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Each lookup of the batch is an index search, whatever the tables hold: on SQLite a
    row-value IN over a list was a scan of every stored message (and every membership) per
    batch, so the writer slowed down as the server ran (`parley.core.pairs`)."""
    if runtime.db.dialect != "sqlite":
        return  # PostgreSQL and MariaDB answer the same clause from the index
    owner, other = await signup(client), await signup(client)
    room = (await create_room(client, owner))["id"]
    await client.post(f"/rooms/{room}/join", headers=other.headers)
    await _store(runtime, [Send(owner.id, room, f"old-{n}", "filler") for n in range(50)])
    sends = [
        Send(owner.id, room, "plan-1", f"hello <@{other.id}> and <@room>"),
        Send(owner.id, room, "plan-2", "psst", to=other.id),
    ]

    def work(conn: Connection) -> list[str]:
        # SQLite's own trace (each statement with its values filled in) also sees the
        # statements run below SQLAlchemy (`parley.core.bulk`)
        selects: list[str] = []

        def keep(statement: str) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE")):
                selects.append(statement)

        raw = conn.connection.driver_connection
        assert raw is not None
        raw.set_trace_callback(keep)
        try:
            store_batch(conn, sends)
        finally:
            raw.set_trace_callback(None)
        return [
            f"{statement.split('FROM' if 'FROM' in statement else 'SET')[1][:60]}: {step[-1]}"
            for statement in selects
            for step in raw.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
        ]

    plans = await runtime.db.run_in_transaction(work)
    # the idempotency, membership, block and mention lookups, and the seq bump
    assert len(plans) >= 5, plans
    scans = [p for p in plans if ": SCAN " in p and "VIRTUAL TABLE" not in p]
    scans = [p for p in scans if "CONSTANT ROW" not in p]
    assert not scans, scans


async def test_a_lingering_writer_gathers_sends_that_arrive_just_after_the_first(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """With a linger, a send arriving shortly after another joins its batch (one commit,
    one fan-out: fewer writes per recipient); without one, each gets its own batch."""
    owner = await signup(client)
    room = (await create_room(client, owner))["id"]
    published: list[int] = []

    async def publish(frames: list[dict[str, Any]]) -> None:
        published.append(len(frames))

    for linger, expected in ((0.0, [1, 1]), (1.0, [2])):
        writer = MessageWriter(runtime.db, publish, linger=linger)
        writer.start()
        try:
            first = writer.submit(Send(owner.id, room, f"linger-{linger}-a", "one"))
            await asyncio.sleep(0.1)  # well inside a second, well after an empty queue's batch
            second = writer.submit(Send(owner.id, room, f"linger-{linger}-b", "two"))
            acks = [await first, await second]
        finally:
            await writer.stop()
        assert published == expected, (linger, published)
        assert acks[1].seq == acks[0].seq + 1
        published.clear()
