"""Reading messages back: HTTP history, resume replays and the hub's gap fills.

Every query applies one visibility rule: a whisper is seen only by its sender and its target.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from parley.accounts.api import directory
from parley.chat.frames import message_payload
from parley.chat.hooks import hooks
from parley.chat.models import Message
from parley.rooms.api import room_ids_of


def visible_to(member_id: int | None) -> ColumnElement[bool]:
    if member_id is None:
        return Message.kind != "whisper"
    return or_(
        Message.kind != "whisper",
        Message.sender_id == member_id,
        Message.to_member_id == member_id,
    )


def message_visible_to(
    message_id: ColumnElement[int] | InstrumentedAttribute[int], member_id: int
) -> ColumnElement[bool]:
    """Whether the member may see the message `message_id` now: it is in one of their rooms
    and, if a whisper, to or from them (a correlated probe by primary key)."""
    return (
        select(Message.id)
        .where(
            Message.id == message_id,
            Message.room_id.in_(room_ids_of(member_id)),
            visible_to(member_id),
        )
        .exists()
    )


async def read_messages(
    session: AsyncSession,
    room_id: int,
    viewer_id: int | None,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
    up_to_seq: int | None = None,
    limit: int = 50,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Message payloads of a room in a seq window, oldest first in the result.

    `viewer_id=None` reads every message (the hub, which filters by audience itself).
    """
    statement = (
        select(Message, directory.c.nickname)
        .outerjoin(directory, directory.c.id == Message.sender_id)
        .where(Message.room_id == room_id)
    )
    if viewer_id is not None:
        statement = statement.where(visible_to(viewer_id))
    if after_seq is not None:
        statement = statement.where(Message.seq > after_seq)
    if before_seq is not None:
        statement = statement.where(Message.seq < before_seq)
    if up_to_seq is not None:
        statement = statement.where(Message.seq <= up_to_seq)
    order = Message.seq.desc() if newest_first else Message.seq.asc()
    rows = (await session.execute(statement.order_by(order).limit(limit))).all()
    files = await hooks.attachments_of(session, [message.id for message, _ in rows])
    payloads = [message_payload(m, nickname, files.get(m.id)) for m, nickname in rows]
    if newest_first:
        payloads.reverse()
    return payloads
