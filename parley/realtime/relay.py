"""The outbox relay: publishes committed room events, oldest first, then deletes them.

It wakes right after a commit that wrote events, and also polls, so events left by a crash
(committed, never published) go out on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.orm import Session

from parley.core.database import Database
from parley.core.outbox import OUTBOX_PENDING, mark_published, take_pending
from parley.realtime.events import RoomEvent, event_from_frame

log = logging.getLogger("parley.realtime.relay")
WAKE_HOOK = "parley_outbox_wake"


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
            rows = await take_pending(session)
            for row in rows:
                frame: dict[str, Any] = orjson.loads(row.payload)
                await self._publish(event_from_frame(row.room_id, frame))
            await mark_published(session, [row.id for row in rows])
        return len(rows)
