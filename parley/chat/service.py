"""Message rules: per-room sequence numbers, system messages, read markers.

The room row is the seq counter (`rooms.last_seq`): bumping it takes the row's write lock, which
is what makes seqs gap-free and committed in order, so chat updates that one column directly.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.frames import message_payload
from parley.chat.models import Message
from parley.core.database import utcnow
from parley.core.outbox import enqueue_event
from parley.rooms.access import advance_read_marker
from parley.rooms.models import Room


async def allocate_seqs(session: AsyncSession, room_id: int, count: int = 1) -> int:
    """Reserve `count` consecutive seqs in the room; returns the first.

    The UPDATE takes the room row's write lock, so concurrent writers to one room queue up
    and every seq is used exactly once, in commit order.
    """
    await session.execute(
        update(Room).where(Room.id == room_id).values(last_seq=Room.last_seq + count)
    )
    last = await session.scalar(select(Room.last_seq).where(Room.id == room_id))
    if last is None:
        raise LookupError(f"room {room_id} does not exist")
    return int(last) - count + 1


async def add_system_message(
    session: AsyncSession, room_id: int, event: str, body: str, **details: Any
) -> Message:
    """Record a membership change in the room's history, in the caller's transaction.

    The `message` frame goes to the outbox in the same transaction, so it is delivered live
    exactly when the change commits.
    """
    seq = await allocate_seqs(session, room_id)
    message = Message(
        room_id=room_id,
        seq=seq,
        sender_id=None,
        kind="system",
        body=body,
        meta=orjson.dumps({"event": event, **details}).decode(),
        created_at=utcnow(),
    )
    session.add(message)
    await session.flush()
    enqueue_event(session, room_id, {"type": "message", **message_payload(message, None)})
    return message


async def mark_read(session: AsyncSession, room_id: int, member_id: int, seq: int) -> int | None:
    """Move the member's read marker forward (never back, never past the room's last seq).

    Returns the marker now stored, or None when the member is not in the room.
    """
    return await advance_read_marker(session, room_id, member_id, seq)
