"""Per-room summaries for "my rooms": the newest visible message, unread and mention counts.

A bounded number of queries whatever the number of rooms: two for the previews, one per
`UNREAD_CHUNK` rooms with something unread (for each count).

Unread and mention counts count new messages only (DESIGN §7): not changes to messages
(those live in `message_updates`, not here), not the member's own messages, not system
messages, not deleted ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import directory
from parley.chat.frames import message_payload
from parley.chat.history import visible_to
from parley.chat.models import Message, MessageMention

UNREAD_CAP = 1000
UNREAD_CHUNK = 200
PREVIEW_CHARS = 200


async def latest_visible(
    session: AsyncSession, member_id: int, room_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """The newest message of each room that the member may see, body cut for a preview."""
    if not room_ids:
        return {}
    # the room ids as a derived table drive one correlated probe per room (index on seq)
    wanted = union_all(
        *(select(literal(int(r), BigInteger).label("room_id")) for r in sorted(set(room_ids)))
    ).subquery("wanted")
    newest = (
        select(Message.id)
        .where(Message.room_id == wanted.c.room_id, visible_to(member_id))
        .order_by(Message.seq.desc())
        .limit(1)
        .correlate(wanted)
        .scalar_subquery()
    )
    ids = [i for i in await session.scalars(select(newest).select_from(wanted)) if i]
    if not ids:
        return {}
    rows = await session.execute(
        select(Message, directory.c.nickname)
        .outerjoin(directory, directory.c.id == Message.sender_id)
        .where(Message.id.in_(ids))
    )
    previews = {}
    for message, nickname in rows:
        payload = message_payload(message, nickname)
        payload["body"] = payload["body"][:PREVIEW_CHARS]
        previews[message.room_id] = payload
    return previews


def _countable(member_id: int) -> list[ColumnElement[bool]]:
    """New messages from others that the member may see and that still say something."""
    return [
        visible_to(member_id),
        Message.kind != "system",
        Message.deleted_by.is_(None),
        or_(Message.sender_id.is_(None), Message.sender_id != member_id),
    ]


async def unread_counts(
    session: AsyncSession, member_id: int, after: dict[int, int]
) -> dict[int, int]:
    """Unread messages per room after the member's read marker (`after`: room -> seq), not
    counting their own, system or deleted ones; each count is capped at `UNREAD_CAP`."""
    return await _counts(session, member_id, after, mentions=False)


async def mention_counts(
    session: AsyncSession, member_id: int, after: dict[int, int]
) -> dict[int, int]:
    """Unread messages per room that mention the member (`<@id>`, or `<@room>`)."""
    return await _counts(session, member_id, after, mentions=True)


async def _counts(
    session: AsyncSession, member_id: int, after: dict[int, int], *, mentions: bool
) -> dict[int, int]:
    me = (
        select(MessageMention.message_id)
        .where(MessageMention.message_id == Message.id, MessageMention.member_id == member_id)
        .exists()
    )
    counts: dict[int, int] = {}
    items = list(after.items())
    for start in range(0, len(items), UNREAD_CHUNK):
        parts = []
        for room_id, after_seq in items[start : start + UNREAD_CHUNK]:
            wanted = select(Message.id).where(
                Message.room_id == room_id, Message.seq > after_seq, *_countable(member_id)
            )
            if mentions:
                wanted = wanted.where(or_(Message.mentions_room.is_(True), me))
            capped = wanted.limit(UNREAD_CAP).subquery()
            # the id is an int from the database, safe to inline (keeps UNION types simple)
            room_col = literal_column(str(int(room_id)), BigInteger).label("room_id")
            parts.append(select(room_col, func.count().label("n")).select_from(capped))
        statement = parts[0] if len(parts) == 1 else union_all(*parts)
        for room_id, n in await session.execute(statement):
            counts[int(room_id)] = int(n)
    return counts
