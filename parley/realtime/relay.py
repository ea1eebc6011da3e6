"""The outbox relay: publishes committed room events, oldest first, then deletes them.

It wakes right after a commit that wrote events, and also polls, so events left by a crash
(committed, never published) go out on the next start.

Several processes may run a relay on one PostgreSQL or MySQL database. Each takes its batch
with `SELECT … FOR UPDATE SKIP LOCKED`, so two relays never publish the same rows in the
normal case; a relay whose batch does not start at the oldest pending event leaves it alone,
because another relay is still publishing older events and overtaking them would reorder a
room's membership events. A relay that dies mid-batch leaves its rows (the lock ends with
its connection) to the next relay: those events may go out twice, which receivers tolerate
(messages are deduplicated by seq, member and room events are idempotent in effect). SQLite
has a single writer process, so it needs none of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from parley.core.database import Database, utcnow
from parley.core.outbox import OUTBOX_PENDING, OutboxEvent, mark_published, take_pending
from parley.realtime.events import RoomEvent, event_from_frame

log = logging.getLogger("parley.realtime.relay")
WAKE_HOOK = "parley_outbox_wake"
BATCH = 500


@event.listens_for(Session, "after_commit")
def _wake_relay_after_commit(session: Session) -> None:
    if session.info.pop(OUTBOX_PENDING, False):
        wake: Callable[[], None] | None = session.info.get(WAKE_HOOK)
        if wake is not None:
            wake()


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        publish: Callable[[RoomEvent], Awaitable[None]],
        poll_seconds: float = 1.0,
    ) -> None:
        self._db = db
        self._publish = publish
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
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
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()
            try:
                while await self.relay_once():
                    pass
            except Exception:
                log.exception("outbox relay failed; will retry")
                await asyncio.sleep(self._poll)

    async def relay_once(self) -> int:
        """Publish one batch; returns how many events went out."""
        async with self._db.transaction() as session:
            rows = await self._take(session)
            self.lag_seconds = (utcnow() - rows[0].created_at).total_seconds() if rows else 0.0
            for row in rows:
                frame: dict[str, Any] = orjson.loads(row.payload)
                await self._publish(event_from_frame(row.room_id, frame))
            await mark_published(session, [row.id for row in rows])
        self.published += len(rows)
        return len(rows)

    async def _take(self, session: AsyncSession) -> list[OutboxEvent]:
        if self._db.dialect == "sqlite":
            return await take_pending(session, BATCH)
        rows = list(
            await session.scalars(
                select(OutboxEvent)
                .order_by(OutboxEvent.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if rows:
            oldest = await session.scalar(select(func.min(OutboxEvent.id)))
            if oldest is not None and oldest < rows[0].id:
                return []  # another relay holds older events: let it finish first
        return rows
