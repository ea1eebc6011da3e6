"""Retention: purge messages older than a room's (or the instance's) retention.

Each batch is one short transaction (`PARLEY_RETENTION_BATCH` messages, their dependent
rows by cascade, and the room's `purged_seq` raised), so sends wait at most for one batch;
the job yields between batches. A resume from before `purged_seq` is answered `reset`
(the gateway checks it). Uploads no longer attached to anything are collected afterwards.
Each purge of a room is logged (`parley.retention`) and audited (`retention.purge`, actor
`system`), in the transaction of its last batch.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from parley.admin import api as admin
from parley.chat import api as chat
from parley.core.database import utcnow
from parley.core.runtime import Runtime
from parley.core.tasks import stop_tasks
from parley.files import api as files
from parley.rooms import api as rooms

log = logging.getLogger("parley.retention")


@dataclass
class PurgeReport:
    #: room id -> (messages deleted, purged through seq)
    rooms: dict[int, tuple[int, int]] = field(default_factory=dict)
    uploads: int = 0
    blobs: int = 0

    @property
    def messages(self) -> int:
        return sum(count for count, _ in self.rooms.values())


async def purge_room(
    runtime: Runtime, room_id: int, cutoff: datetime, batch: int, days: int
) -> tuple[int, int]:
    deleted, through = 0, 0
    while True:
        async with runtime.db.transaction() as session:
            count, seq = await chat.purge_batch(session, room_id, cutoff, batch)
            if count:
                await rooms.mark_purged(session, room_id, seq)
            deleted, through = deleted + count, max(through, seq)
            last = count < batch
            if last and deleted:
                await admin.record(
                    session,
                    actor_id=None,
                    actor_login_id="system",
                    action="retention.purge",
                    target_type="room",
                    target_id=room_id,
                    room_id=room_id,
                    address="",
                    retention_days=runtime.settings.audit_retention_days,
                    messages=deleted,
                    through_seq=through,
                    days=days,
                    cutoff=cutoff,
                )
        if last:
            return deleted, through
        await asyncio.sleep(0)  # let sends in between batches


async def purge_once(runtime: Runtime, now: datetime | None = None) -> PurgeReport:
    settings = runtime.settings
    now = now or utcnow()
    async with runtime.db.read_sessions() as session:
        plan = await rooms.retention_plan(session, settings.retention_days)
    report = PurgeReport()
    for room_id, days in plan:
        deleted, through = await purge_room(
            runtime, room_id, now - timedelta(days=days), settings.retention_batch, days
        )
        if deleted:
            report.rooms[room_id] = (deleted, through)
            log.info(
                "retention purge",
                extra={
                    "room_id": room_id,
                    "messages": deleted,
                    "through_seq": through,
                    "retention_days": days,
                },
            )
    if report.rooms:
        report.uploads, report.blobs = await files.collect_unused(runtime)
    return report


class RetentionJob:
    """The purge in a server process's lifespan, every `PARLEY_RETENTION_INTERVAL_SECONDS`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.runtime.settings.retention_interval_seconds > 0:
            self._task = asyncio.create_task(self._forever(), name="retention")

    async def stop(self) -> None:
        await stop_tasks([self._task])

    async def _forever(self) -> None:
        while True:
            await asyncio.sleep(self.runtime.settings.retention_interval_seconds)
            try:
                await purge_once(self.runtime)
            except Exception:
                log.exception("retention purge failed; will retry")
