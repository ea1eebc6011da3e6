"""The message writer stores a batch in a fixed number of statements, whatever its size: a
batch of 300 sends costs what a batch of 5 does (one multi-row insert, not one per row)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Connection, event

from parley.chat.writer import Ack, BatchResult, Send, store_batch
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
