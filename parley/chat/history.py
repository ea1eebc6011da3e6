"""Reading messages back: HTTP history, resume replays and the hub's gap fills.

Every query applies one visibility rule: a whisper is seen only by its sender and its target.
A page costs a bounded number of queries whatever its size: the messages, their files,
their reactions and the messages they reply to. `read_timeline` adds the room's
`message_update` events to the window, each carrying its message's current state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from parley.accounts.api import directory
from parley.chat.emoji_keys import emoji_of
from parley.chat.frames import message_payload, sender_of
from parley.chat.hooks import hooks
from parley.chat.models import Message, MessageReaction, MessageUpdate
from parley.chat.render import excerpt
from parley.rooms.api import room_ids_of


def visible_to(member_id: int | ColumnElement[int] | None) -> ColumnElement[bool]:
    """Whispers only to or from the member (who may be a bound parameter); None: no whispers."""
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


def with_sender() -> Select[Any]:
    """Messages with their sender's nickname (NULL once the sender withdrew)."""
    return select(Message, directory.c.nickname).outerjoin(
        directory, directory.c.id == Message.sender_id
    )


async def reactions_of(
    session: AsyncSession, message_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Each message's reactions: one entry per emoji in the order first used."""
    if not message_ids:
        return {}
    rows = await session.execute(
        select(MessageReaction.message_id, MessageReaction.emoji_key, MessageReaction.member_id)
        .where(MessageReaction.message_id.in_(list(message_ids)))
        .order_by(MessageReaction.message_id, MessageReaction.created_at, MessageReaction.member_id)
    )
    grouped: dict[int, dict[str, list[int]]] = {}
    for message_id, key, member_id in rows:
        grouped.setdefault(int(message_id), {}).setdefault(str(key), []).append(int(member_id))
    return {
        message_id: [
            {"emoji": emoji_of(key), "count": len(members), "member_ids": members}
            for key, members in by_emoji.items()
        ]
        for message_id, by_emoji in grouped.items()
    }


async def replies_of(session: AsyncSession, reply_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each replied-to message as quoted now: id, seq, sender (the excerpt is the reply's
    own, taken when it was written: `quote_of`)."""
    if not reply_ids:
        return {}
    rows = await session.execute(
        select(
            Message.id,
            Message.seq,
            Message.kind,
            Message.sender_id,
            directory.c.nickname,
            Message.body,
        )
        .outerjoin(directory, directory.c.id == Message.sender_id)
        .where(Message.id.in_(list(set(reply_ids))))
    )
    return {
        int(i): reply_quote(int(i), int(seq), kind, sender_id, nickname, body)
        for i, seq, kind, sender_id, nickname, body in rows
    }


def reply_quote(
    message_id: int,
    seq: int,
    kind: str,
    sender_id: int | None,
    nickname: str | None,
    body: str,
) -> dict[str, Any]:
    return {
        "id": message_id,
        "seq": seq,
        "sender": sender_of(kind, sender_id, nickname),
        "excerpt": excerpt(body),
    }


async def payloads_of(
    session: AsyncSession, rows: Sequence[tuple[Message, str | None]]
) -> list[dict[str, Any]]:
    """History items for stored messages, in the order given."""
    ids = [message.id for message, _ in rows]
    files = await hooks.attachments_of(session, ids)
    reactions = await reactions_of(session, ids)
    replies = await replies_of(
        session, [m.reply_to_id for m, _ in rows if m.reply_to_id is not None]
    )
    return [
        message_payload(
            m,
            nickname,
            files.get(m.id),
            reactions=reactions.get(m.id),
            reply_to=quote_of(m, replies),
        )
        for m, nickname in rows
    ]


def quote_of(message: Message, originals: dict[int, dict[str, Any]]) -> dict[str, Any] | None:
    if message.reply_to_id is None:
        return None
    original = originals.get(message.reply_to_id)
    if original is None:  # cannot happen while messages are only emptied, never removed
        return None
    return {**original, "excerpt": message.reply_excerpt or ""}


async def current_message(session: AsyncSession, message_id: int) -> dict[str, Any] | None:
    """One message's whole current state (the `message` of a `message_update`)."""
    rows = (await session.execute(with_sender().where(Message.id == message_id))).all()
    if not rows:
        return None
    return (await payloads_of(session, [(m, n) for m, n in rows]))[0]


def _window(
    statement: Select[Any],
    seq: InstrumentedAttribute[int],
    after_seq: int | None,
    before_seq: int | None,
    up_to_seq: int | None,
) -> Select[Any]:
    if after_seq is not None:
        statement = statement.where(seq > after_seq)
    if before_seq is not None:
        statement = statement.where(seq < before_seq)
    if up_to_seq is not None:
        statement = statement.where(seq <= up_to_seq)
    return statement


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
    statement = with_sender().where(Message.room_id == room_id)
    if viewer_id is not None:
        statement = statement.where(visible_to(viewer_id))
    statement = _window(statement, Message.seq, after_seq, before_seq, up_to_seq)
    order = Message.seq.desc() if newest_first else Message.seq.asc()
    rows = (await session.execute(statement.order_by(order).limit(limit))).all()
    payloads = await payloads_of(session, [(m, n) for m, n in rows])
    if newest_first:
        payloads.reverse()
    return payloads


async def read_timeline(
    session: AsyncSession,
    room_id: int,
    viewer_id: int | None,
    *,
    after_seq: int | None = None,
    before_seq: int | None = None,
    up_to_seq: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Every timeline event of a room in a seq window as frames, in seq order: `message`
    for new messages, `message_update` for changes (with the message's current state).

    The resume replay and the hub's gap fills read this, so an edit, a delete or a reaction
    missed while away arrives like a new message would."""
    frames: list[dict[str, Any]] = [
        {"type": "message", **payload}
        for payload in await read_messages(
            session,
            room_id,
            viewer_id,
            after_seq=after_seq,
            before_seq=before_seq,
            up_to_seq=up_to_seq,
            limit=limit,
        )
    ]
    updates = (
        select(MessageUpdate)
        .join(Message, Message.id == MessageUpdate.message_id)
        .where(MessageUpdate.room_id == room_id)
    )
    if viewer_id is not None:
        updates = updates.where(visible_to(viewer_id))
    updates = _window(updates, MessageUpdate.seq, after_seq, before_seq, up_to_seq)
    changes = list(await session.scalars(updates.order_by(MessageUpdate.seq.asc()).limit(limit)))
    if changes:
        ids = sorted({c.message_id for c in changes})
        rows = (await session.execute(with_sender().where(Message.id.in_(ids)))).all()
        current = {p["id"]: p for p in await payloads_of(session, [(m, n) for m, n in rows])}
        frames.extend(
            update_frame(c.room_id, c.seq, c.change, c.by_id, current[c.message_id])
            for c in changes
        )
        frames.sort(key=lambda f: int(f["seq"]))
        del frames[limit:]
    return frames


def update_frame(
    room_id: int, seq: int, change: str, by: int | None, message: dict[str, Any]
) -> dict[str, Any]:
    """A `message_update` frame: the change, who made it, the message as it is now."""
    return {
        "type": "message_update",
        "room_id": room_id,
        "seq": seq,
        "change": change,
        "by": by,
        "message": message,
    }
