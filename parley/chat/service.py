"""Message rules: system messages and read markers.

The per-room seq counter belongs to the rooms domain (`rooms.api.allocate_seqs`): bumping it
takes the room row's write lock, which is what makes seqs gap-free and committed in order.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.frames import message_payload
from parley.chat.models import Message
from parley.chat.render import render
from parley.core.database import utcnow
from parley.core.events import emit, emit_event, message_event
from parley.rooms.api import advance_read_marker, allocate_seqs


async def add_system_message(
    session: AsyncSession, room_id: int, event: str, body: str, **details: Any
) -> Message:
    """Record a membership change in the room's history, in the caller's transaction.

    The `message` event goes to the outbox in the same transaction, so it is delivered live
    exactly when the change commits; a removal's message carries the eviction.
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
        html=render(body),
    )
    session.add(message)
    await session.flush()
    emit_event(session, message_event({"type": "message", **message_payload(message, None)}))
    return message


async def mark_read(session: AsyncSession, room_id: int, member_id: int, seq: int) -> int | None:
    """Move the member's read marker forward (never back, never past the room's last seq).

    Returns the marker now stored, or None when the member is not in the room. Only a marker
    that moved is announced (a `read` event to the room): a repeated or stale one is not.
    """
    result = await advance_read_marker(session, room_id, member_id, seq)
    if result is None:
        return None
    marker, moved = result
    if moved:
        frame = {"type": "read", "room_id": room_id, "member_id": member_id, "seq": marker}
        emit(session, frame, room_id=room_id)
    return marker
