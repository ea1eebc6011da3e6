"""The outbox relay: publishes committed events, oldest first, then deletes them.

It wakes right after a commit that wrote events, and also polls, so events left by a crash
(committed, never published) go out on the next start.

No database lock is held across the bus round trip. Each round is three short steps: renew
the relay lease (one row in `outbox_lease`, so one relay per database publishes at a time and
a room's events keep their order), read a batch, publish it as one bus batch with no
transaction open, then delete the published rows. A relay that dies mid-batch leaves its
rows to the next lease holder: those events may go out twice, which receivers tolerate
(timeline events are deduplicated by seq, member and room events are idempotent in effect).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta

import orjson
from sqlalchemy import event, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parley.core.database import Database, utcnow
from parley.core.events import Event
from parley.core.outbox import (
    OUTBOX_PENDING,
    OutboxEvent,
    OutboxLease,
    mark_published,
    take_pending,
)
from parley.core.tasks import stop_tasks
from parley.realtime.events import event_from_frame

log = logging.getLogger("parley.realtime.relay")
WAKE_HOOK = "parley_outbox_wake"
BATCH = 500
LEASE_NAME = "relay"
#: a relay that stops renewing loses the outbox after this long
LEASE_SECONDS = 5.0

PublishMany = Callable[[list[Event]], Awaitable[None]]


@event.listens_for(Session, "after_commit")
def _wake_relay_after_commit(session: Session) -> None:
    if session.info.pop(OUTBOX_PENDING, False):
        wake: Callable[[], None] | None = session.info.get(WAKE_HOOK)
        if wake is not None:
            wake()


def decode_row(row: OutboxEvent) -> Event:
    """An outbox row's event; rows written before the event path held a bare frame."""
    raw = orjson.loads(row.payload)
    if "p" in raw and "type" not in raw:
        return Event.from_wire(row.payload)
    return event_from_frame(row.room_id, raw)


class OutboxRelay:
    def __init__(self, db: Database, publish_many: PublishMany, poll_seconds: float = 1.0) -> None:
        self._db = db
        self._publish_many = publish_many
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.holder = f"{os.getpid()}-{os.urandom(6).hex()}"
        #: for /metrics: age of the oldest unpublished event when last looked at
        self.lag_seconds = 0.0
        self.published = 0
        for factory in (db.sessions, db.read_sessions):
            factory.configure(info={WAKE_HOOK: self.wake})

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop after the batch in hand. The flag ends the loop even when the cancellation is
        lost (one that lands as a database call or a wait ends can be swallowed on Python
        3.11, and a loop that retries on errors would then run on: a shutdown hung on it)."""
        self._stopping = True
        self._wake.set()
        await stop_tasks([self._task])

    async def _run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()
            self._wake.clear()
            try:
                while not self._stopping and await self.relay_once():
                    pass
            except Exception:
                if self._stopping:
                    return
                log.exception("outbox relay failed; will retry")
                await asyncio.sleep(self._poll)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many events went out."""
        if not await self._hold_lease():
            return 0
        async with self._db.read_sessions() as session:
            rows = await take_pending(session, BATCH)
        self.lag_seconds = (utcnow() - rows[0].created_at).total_seconds() if rows else 0.0
        if not rows:
            return 0
        await self._publish_many([decode_row(row) for row in rows])
        async with self._db.transaction() as session:
            await mark_published(session, [row.id for row in rows])
        self.published += len(rows)
        return len(rows)

    async def _hold_lease(self) -> bool:
        """Take or renew the relay lease in a transaction of its own; False if another
        live relay holds it. SQLite has one writer process, so its relay always holds it."""
        if self._db.dialect == "sqlite":
            return True
        now = utcnow()
        until = now + timedelta(seconds=LEASE_SECONDS)
        async with self._db.transaction() as session:
            result = await session.execute(
                update(OutboxLease)
                .where(
                    OutboxLease.name == LEASE_NAME,
                    (OutboxLease.holder == self.holder) | (OutboxLease.expires_at < now),
                )
                .values(holder=self.holder, expires_at=until)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return True
        try:
            async with self._db.transaction() as session:
                await session.execute(
                    insert(OutboxLease).values(
                        name=LEASE_NAME, holder=self.holder, expires_at=until
                    )
                )
        except IntegrityError:
            return False  # another relay holds a live lease
        return True
