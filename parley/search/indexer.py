"""Turning the queue of changed messages into grams, in the background and on demand.

A batch deletes its queue rows *before* it reads the bodies: an edit committed meanwhile
queues the message again (its trigger waits on the deleted row), so no change is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from parley.chat.api import Message
from parley.core.bulk import BulkExecute, BulkInsert
from parley.core.database import Database
from parley.core.tasks import stop_tasks
from parley.core.text import search_key
from parley.search.models import SearchGram, SearchGramCount, SearchPending
from parley.search.text import grams_of_key

log = logging.getLogger("parley.search")

#: messages per indexing transaction: it shares the SQLite batch thread (and the write lock)
#: with the message writer, so a send that arrives behind it waits for all of it; 200 made
#: the p99 delivery latency at four messages in flight per room 1.26-1.31x the reference
#: relay's, 50 made it 0.99-1.09x, with the same persisted rate (docs/benchmarks.md)
BATCH = 50
#: the indexer holds the write lock (SQLite) or row locks at most 1/(1 + DUTY) of the time
DUTY = 4.0


def index_pending(conn: Connection, batch: int = BATCH) -> int:
    """Index up to `batch` queued messages in the caller's transaction; how many were taken."""
    ids = claim_pending(conn, batch)
    if ids:
        index_claimed(conn, ids)
    return len(ids)


def claim_pending(conn: Connection, batch: int = BATCH) -> list[int]:
    """Take up to `batch` messages off the queue (their queue rows are deleted); their ids.

    The queue rows go before the bodies are read: an edit committed meanwhile queues the
    message again (its trigger waits on the deleted row), so no change is lost.

    On PostgreSQL and MariaDB the message rows are locked (shared, skipping any a writer
    holds) *before* their queue rows, the order every writer takes: an edit or a purge locks
    the message, then its trigger or cascade touches the queue row. Claiming the queue row
    first and meeting the message at the grams' foreign-key check deadlocked an edit (or a
    moderator's delete) against the indexer. A skipped message stays queued for the next
    batch; SQLite has one writer at a time and takes no row locks.
    """
    queued = select(SearchPending.message_id).order_by(SearchPending.message_id).limit(batch)
    ids = list(conn.execute(queued).scalars())  # a plain read: no lock yet
    if ids and conn.dialect.name != "sqlite":
        lock_messages = (
            select(Message.id)
            .where(Message.id.in_(ids))
            .order_by(Message.id)
            .with_for_update(read=True, key_share=True, skip_locked=True)
        )
        ids = list(conn.execute(lock_messages).scalars())
        if ids:
            lock_queue = (
                select(SearchPending.message_id)
                .where(SearchPending.message_id.in_(ids))
                .order_by(SearchPending.message_id)
                .with_for_update(skip_locked=True)  # another indexer process may hold them
            )
            ids = list(conn.execute(lock_queue).scalars())
    if ids:
        conn.execute(delete(SearchPending).where(SearchPending.message_id.in_(ids)))
    return ids


def index_claimed(conn: Connection, ids: list[int]) -> None:
    """Replace the grams of the claimed messages `ids` and adjust the posting counts."""
    held = select(SearchGram.gram, func.count()).where(SearchGram.message_id.in_(ids))
    delta: Counter[int] = Counter()
    for gram, count in conn.execute(held.group_by(SearchGram.gram)):
        delta[gram] -= count
    conn.execute(delete(SearchGram).where(SearchGram.message_id.in_(ids)))
    bodies = conn.execute(select(Message.id, Message.body).where(Message.id.in_(ids)))
    rows = [
        (gram, message_id)
        for message_id, body in bodies
        for gram in grams_of_key(search_key(body or ""))
    ]
    _INSERT_GRAMS(conn, rows)
    delta.update(gram for gram, _ in rows)
    add_postings(conn, {gram: n for gram, n in delta.items() if n})


def _upsert_postings(dialect: str) -> BulkExecute:
    table = SearchGramCount.__table__
    assert isinstance(table, Table)
    statement: Any
    if dialect in ("postgresql", "sqlite"):
        statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.gram],
            set_={"postings": table.c.postings + statement.excluded.postings},
        )
    else:
        statement = mysql.insert(table)
        statement = statement.on_duplicate_key_update(
            postings=table.c.postings + statement.inserted.postings
        )
    return BulkExecute(statement)


# built once: a message's body is a hundred grams, so these run a row per gram
_INSERT_GRAMS = BulkInsert(SearchGram.__table__, ("gram", "message_id"))  # type: ignore[arg-type]
_ADD_POSTINGS = {name: _upsert_postings(name) for name in ("sqlite", "postgresql", "mysql")}


def add_postings(conn: Connection, delta: dict[int, int]) -> None:
    """Add `delta` to the posting counts, in gram order (two indexers lock rows alike)."""
    if not delta:
        return
    upsert = _ADD_POSTINGS.get(conn.dialect.name, _ADD_POSTINGS["mysql"])
    upsert(conn, [(gram, delta[gram]) for gram in sorted(delta)])


def queue_all(conn: Connection) -> None:
    """Queue every message (a rebuild): the old grams stay usable until each is redone, and
    the counts are recounted from them (dropping what cascaded deletes left behind)."""
    conn.execute(delete(SearchPending))
    conn.execute(insert(SearchPending).from_select(["message_id"], select(Message.id)))
    conn.execute(delete(SearchGramCount))
    counted = select(SearchGram.gram, func.count()).group_by(SearchGram.gram)
    conn.execute(insert(SearchGramCount).from_select(["gram", "postings"], counted))


async def reindex(db: Database, *, everything: bool = True) -> int:
    """Index the queue to the end (after queueing every message if `everything`)."""
    if everything:
        await db.run_in_transaction(queue_all)
    total = 0
    while taken := await db.run_in_transaction(index_pending):
        total += taken
    return total


class Indexer:
    """Drains the queue every `interval` seconds. While it is full, each batch is followed by
    a pause `DUTY` times as long as the batch took, so the message writer (which shares
    SQLite's one write lock) keeps most of the time: sends come first, the index catches up
    after a burst, and searches check what is still queued by brute force meanwhile."""

    def __init__(self, db: Database, interval: float = 0.5) -> None:
        self._db = db
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="search-indexer")

    async def stop(self) -> None:
        await stop_tasks([self._task])
        self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                taken = await self._db.run_in_transaction(index_pending)
            except Exception:
                log.exception("search indexing failed; retrying")
                taken = 0
            busy = (loop.time() - started) * DUTY
            await asyncio.sleep(busy if taken == BATCH else max(busy, self._interval))
