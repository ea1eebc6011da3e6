"""Reads of a message's life: earlier versions, a room's pins, a page around a seq, and the
messages that mention a member across their rooms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.history import payloads_of, read_messages, visible_to, with_sender
from parley.chat.models import Message, MessageEdit, MessageMention
from parley.core.database import timestamp
from parley.rooms.api import room_ids_of


async def visible_message(
    session: AsyncSession, room_id: int, message_id: int, viewer_id: int
) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.id == message_id, Message.room_id == room_id, visible_to(viewer_id)
        )
    )


async def earlier_versions(session: AsyncSession, message_id: int) -> list[dict[str, Any]]:
    """A message's earlier versions, oldest first (none once it is deleted)."""
    rows = await session.scalars(
        select(MessageEdit).where(MessageEdit.message_id == message_id).order_by(MessageEdit.id)
    )
    return [{"body": e.body, "html": e.html, "created_at": timestamp(e.created_at)} for e in rows]


async def pinned(session: AsyncSession, room_id: int, viewer_id: int) -> list[dict[str, Any]]:
    """The room's pinned messages that the viewer may see, most recently pinned first."""
    rows = await session.execute(
        with_sender()
        .where(Message.room_id == room_id, Message.pinned_at.is_not(None), visible_to(viewer_id))
        .order_by(Message.pinned_at.desc(), Message.id.desc())
        .limit(100)
    )
    return await payloads_of(session, [(m, n) for m, n in rows.all()])


async def around(
    session: AsyncSession, room_id: int, viewer_id: int, seq: int, limit: int
) -> tuple[list[dict[str, Any]], bool, bool]:
    """A page centred on `seq` (the message at `seq` included when visible), oldest first;
    and whether there is more before and after it."""
    older = await read_messages(
        session, room_id, viewer_id, up_to_seq=seq, limit=limit + 1, newest_first=True
    )
    newer = await read_messages(session, room_id, viewer_id, after_seq=seq, limit=limit + 1)
    n_old = min(len(older), max((limit + 1) // 2, limit - len(newer)))
    n_new = min(len(newer), limit - n_old)
    page = older[len(older) - n_old :] + newer[:n_new]
    return page, len(older) > n_old, len(newer) > n_new


async def my_mentions(
    session: AsyncSession,
    member_id: int,
    *,
    before_id: int | None,
    room_id: int | None,
    before_seq: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Messages that mention the member (`<@id>`, or `<@room>`) in their current rooms, not
    their own and not deleted, newest first; cursor: `before_id` (message id), or
    `before_seq` within one room."""
    named = select(MessageMention.message_id).where(MessageMention.member_id == member_id)
    statement = with_sender().where(
        Message.room_id.in_(room_ids_of(member_id)),
        or_(Message.id.in_(named), Message.mentions_room.is_(True)),
        Message.deleted_by.is_(None),
        or_(Message.sender_id.is_(None), Message.sender_id != member_id),
        visible_to(member_id),
    )
    if room_id is not None:
        statement = statement.where(Message.room_id == room_id)
    if before_seq is not None:
        statement = statement.where(Message.seq < before_seq)
    if before_id is not None:
        statement = statement.where(Message.id < before_id)
    rows = (await session.execute(statement.order_by(Message.id.desc()).limit(limit + 1))).all()
    has_more = len(rows) > limit
    return await payloads_of(session, [(m, n) for m, n in rows[:limit]]), has_more
