"""One message as other domains may see it (a report names the message it is about)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.history import visible_to
from parley.chat.models import Message


@dataclass(frozen=True, slots=True)
class MessageRef:
    id: int
    room_id: int
    sender_id: int | None
    kind: str
    body: str


async def find_message(
    session: AsyncSession, room_id: int, message_id: int, viewer_id: int | None
) -> MessageRef | None:
    """The message `message_id` of `room_id` if it exists and `viewer_id` may see it (None:
    a staff view, whispers included)."""
    statement = select(
        Message.id, Message.room_id, Message.sender_id, Message.kind, Message.body
    ).where(Message.id == message_id, Message.room_id == room_id)
    if viewer_id is not None:
        statement = statement.where(visible_to(viewer_id))
    row = (await session.execute(statement)).first()
    return MessageRef(*row) if row is not None else None
