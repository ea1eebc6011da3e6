"""Retention's chat half: delete a room's old messages in small batches.

Their reactions, mentions, edits, attachments, updates and search entries go with them
(foreign keys, ON DELETE CASCADE); uploads no longer attached are then the files
collector's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.models import Message


async def purge_batch(
    session: AsyncSession, room_id: int, cutoff: datetime, limit: int
) -> tuple[int, int]:
    """Delete up to `limit` of the room's oldest messages created before `cutoff`, in seq
    order. Returns (deleted, the highest seq deleted) — (0, 0) when none is left."""
    rows = list(
        await session.execute(
            select(Message.id, Message.seq)
            .where(Message.room_id == room_id, Message.created_at < cutoff)
            .order_by(Message.seq)
            .limit(limit)
        )
    )
    if not rows:
        return 0, 0
    result: Any = await session.execute(
        delete(Message).where(Message.id.in_([row.id for row in rows]))
    )
    return int(result.rowcount or len(rows)), max(row.seq for row in rows)
