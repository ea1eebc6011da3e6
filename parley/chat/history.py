"""Reading messages back: HTTP history, resume replays and the hub's gap fills.

Every query applies one visibility rule: a whisper is seen only by its sender and its target.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.models import Member
from parley.chat.frames import message_payload
from parley.chat.models import Message
from parley.files.attachments import attachments_of


def visible_to(member_id: int | None) -> ColumnElement[bool]:
    if member_id is None:
        return Message.kind != "whisper"
    return or_(
        Message.kind != "whisper",
        Message.sender_id == member_id,
        Message.to_member_id == member_id,
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
        select(Message, Member.nickname)
        .outerjoin(Member, Member.id == Message.sender_id)
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
    files = await attachments_of(session, [message.id for message, _ in rows])
    payloads = [message_payload(m, nickname, files.get(m.id)) for m, nickname in rows]
    if newest_first:
        payloads.reverse()
    return payloads
