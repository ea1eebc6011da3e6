"""Reads for a member's own export (`GET /me/export`): pages of messages, keyed by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.history import visible_to
from parley.chat.models import Message


def _row(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "room_id": message.room_id,
        "seq": message.seq,
        "kind": message.kind,
        "sender_id": message.sender_id,
        "to_member_id": message.to_member_id,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


async def messages_sent_by(
    session: AsyncSession, member_id: int, after_id: int, limit: int
) -> list[dict[str, Any]]:
    """The member's own messages (whispers they sent included) with ids after `after_id`."""
    rows = await session.scalars(
        select(Message)
        .where(Message.sender_id == member_id, Message.id > after_id)
        .order_by(Message.id)
        .limit(limit)
    )
    return [_row(message) for message in rows]


async def visible_room_messages(
    session: AsyncSession, room_id: int, member_id: int, after_id: int, limit: int
) -> list[dict[str, Any]]:
    """A room's messages the member may see (no whisper between two others)."""
    rows = await session.scalars(
        select(Message)
        .where(Message.room_id == room_id, Message.id > after_id, visible_to(member_id))
        .order_by(Message.id)
        .limit(limit)
    )
    return [_row(message) for message in rows]
