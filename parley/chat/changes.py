"""Changes to a stored message: edit, delete, react, unreact, pin, unpin (DESIGN §7).

Each change is a timeline event. It takes the room's next seq first (`allocate_seqs`, which
holds the room row's write lock until commit), so changes to a room's messages — and new
messages — are serialised and committed in seq order, and every read after it sees what
committed before (on MariaDB the transaction's snapshot starts after the lock). Then the
change is checked against the message's current state, stored with a `message_updates` row,
and its `message_update` event (the whole current message) goes to the outbox in the same
transaction. A change that changes nothing (a repeated reaction) returns `None`: the caller
rolls back, so no seq and no event are spent on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Principal
from parley.chat.batch import ROOM_MENTION_OPEN_UP_TO
from parley.chat.emoji_keys import emoji_key
from parley.chat.history import current_message, update_frame, visible_to
from parley.chat.hooks import hooks
from parley.chat.models import Message, MessageEdit, MessageMention, MessageReaction, MessageUpdate
from parley.chat.render import mention_tokens, render
from parley.core.database import utcnow
from parley.core.errors import ParleyError, conflict, forbidden, not_found
from parley.core.events import emit_event, message_event
from parley.rooms.api import (
    allocate_seqs,
    get_membership,
    get_room,
    nicknames_of_members,
    room_mention_rights,
)

MAX_REACTIONS = 20
MODERATORS = ("owner", "admin")


def message_not_found() -> ParleyError:
    return not_found("message", "message_not_found")


@dataclass(slots=True)
class Target:
    """A message being changed, with the actor's standing in its room."""

    message: Message
    seq: int
    role: str | None


async def _target(
    session: AsyncSession, room_id: int, message_id: int, actor: Principal, *, staff: bool = False
) -> Target:
    """Lock the room's timeline, then find the message as the actor may see it.

    `staff`: a site admin who is not a member may act too (deletion in a group room)."""
    try:
        seq = await allocate_seqs(session, room_id)
    except LookupError:
        raise not_found("room", "room_not_found") from None
    membership = await get_membership(session, room_id, actor.id)
    if membership is None:
        room = await get_room(session, room_id)
        if not (staff and actor.is_admin and room is not None and room.kind != "direct"):
            if room is None or room.is_private:
                raise not_found("room", "room_not_found")
            raise forbidden("not_a_member", "join the room to read or write its messages")
    message = await session.scalar(
        select(Message)
        .where(Message.id == message_id, Message.room_id == room_id, visible_to(actor.id))
        .with_for_update()
    )
    if message is None:
        raise message_not_found()
    return Target(message, seq, membership.role if membership is not None else None)


async def _publish(
    session: AsyncSession, target: Target, change: str, actor_id: int
) -> dict[str, Any]:
    """Record the change as a timeline event and emit it; returns the current message."""
    message = target.message
    session.add(
        MessageUpdate(
            room_id=message.room_id,
            seq=target.seq,
            message_id=message.id,
            change=change,
            by_id=actor_id,
            created_at=utcnow(),
        )
    )
    await session.flush()
    payload = await current_message(session, message.id)
    assert payload is not None
    frame = update_frame(message.room_id, target.seq, change, actor_id, payload)
    emit_event(session, message_event(frame))
    return payload


def _alive(message: Message) -> None:
    if message.deleted_by is not None:
        raise conflict("message_deleted", "the message was deleted")


async def resolve_mentions(
    session: AsyncSession, room_id: int, sender_id: int, body: str, to: int | None
) -> tuple[dict[int, str], bool]:
    """The write-time rule of the writer, for an edit: members of the room are mentioned
    (in a whisper only its two), `<@room>` if the sender may use it."""
    if "<@" not in body:
        return {}, False
    ids, room_token = mention_tokens(body)
    if to is not None:
        ids = [m for m in ids if m in (sender_id, to)]
        room_token = False
    pairs = {(room_id, m) for m in ids}
    names = await session.run_sync(lambda s: nicknames_of_members(s.connection(), pairs))
    named = {m: names[(room_id, m)] for m in ids if (room_id, m) in names}
    if room_token:
        rights = await session.run_sync(
            lambda s: room_mention_rights(s.connection(), {(room_id, sender_id)})
        )
        count, role = rights.get((room_id, sender_id), (0, "member"))
        room_token = count <= ROOM_MENTION_OPEN_UP_TO or role in MODERATORS
    return named, room_token


async def _set_mentions(session: AsyncSession, message: Message, named: dict[int, str]) -> None:
    await session.execute(delete(MessageMention).where(MessageMention.message_id == message.id))
    if named:
        await session.execute(
            insert(MessageMention),
            [
                {"message_id": message.id, "member_id": m, "room_id": message.room_id,
                 "seq": message.seq}
                for m in named
            ],
        )  # fmt: skip


async def edit(
    session: AsyncSession,
    room_id: int,
    message_id: int,
    actor: Principal,
    body: str,
    window_seconds: int,
) -> dict[str, Any] | None:
    """The sender rewrites their message; the previous version is kept."""
    target = await _target(session, room_id, message_id, actor)
    message = target.message
    if message.kind == "system" or message.sender_id != actor.id:
        raise forbidden("not_your_message", "only its sender may edit a message")
    _alive(message)
    if message.meta and orjson.loads(message.meta).get("command") == "poll":
        raise forbidden("poll_not_editable", "a poll cannot be edited; delete it and ask again")
    now = utcnow()
    if window_seconds and now - message.created_at > timedelta(seconds=window_seconds):
        raise forbidden("edit_window_closed", f"messages can be edited for {window_seconds} s")
    if body == message.body:
        return None
    named, room_token = await resolve_mentions(
        session, room_id, actor.id, body, message.to_member_id
    )
    session.add(
        MessageEdit(
            message_id=message.id,
            body=message.body,
            html=message.html,
            created_at=message.edited_at or message.created_at,
        )
    )
    message.body = body
    message.html = render(body, named, room_token)
    message.mentions = orjson.dumps(list(named)).decode() if named else None
    message.mentions_room = room_token
    message.edited_at = now
    await _set_mentions(session, message, named)
    return await _publish(session, target, "edit", actor.id)


async def delete_message(
    session: AsyncSession, room_id: int, message_id: int, actor: Principal
) -> dict[str, Any] | None:
    """Its sender, the room's owner/admins or a site admin empty it to a tombstone: body,
    html, earlier versions, files, reactions and mentions leave the database."""
    target = await _target(session, room_id, message_id, actor, staff=True)
    message = target.message
    if message.kind == "system":
        raise forbidden("system_message", "system messages cannot be deleted")
    if message.deleted_by is not None:
        return None
    own = message.sender_id == actor.id
    if not own and target.role not in MODERATORS and not actor.is_admin:
        raise forbidden("not_your_message", "only its sender or a moderator may delete it")
    message.deleted_by = "sender" if own else "moderator"
    message.body = ""
    message.html = ""
    message.mentions = None
    message.mentions_room = False
    message.pinned_at = None
    for table in (MessageEdit, MessageReaction, MessageMention):
        await session.execute(delete(table).where(table.message_id == message.id))
    # replies quoted it: their quotes lose its words too (clients do the same on `delete`)
    await session.execute(
        update(Message).where(Message.reply_to_id == message.id).values(reply_excerpt="")
    )
    await hooks.unlink_attachments(session, message.id)
    if not own:
        await hooks.moderator_deleted(
            session,
            room_id=room_id,
            message_id=message.id,
            moderator_id=actor.id,
            sender_id=message.sender_id,
        )
    return await _publish(session, target, "delete", actor.id)


async def react(
    session: AsyncSession, room_id: int, message_id: int, actor: Principal, emoji: str, on: bool
) -> dict[str, Any] | None:
    """Add (`on`) or remove the actor's reaction; at most `MAX_REACTIONS` distinct emoji."""
    target = await _target(session, room_id, message_id, actor)
    message = target.message
    _alive(message)
    key = emoji_key(emoji)
    mine = MessageReaction.__table__.c
    exists = await session.scalar(
        select(func.count())
        .select_from(MessageReaction)
        .where(mine.message_id == message.id, mine.emoji_key == key, mine.member_id == actor.id)
    )
    if on == bool(exists):
        return None
    if on:
        used = set(
            await session.scalars(
                select(MessageReaction.emoji_key)
                .where(MessageReaction.message_id == message.id)
                .distinct()
            )
        )
        if key not in used and len(used) >= MAX_REACTIONS:
            raise conflict(
                "too_many_reactions", f"a message has at most {MAX_REACTIONS} different emoji"
            )
        session.add(
            MessageReaction(
                message_id=message.id, emoji_key=key, member_id=actor.id, created_at=utcnow()
            )
        )
    else:
        await session.execute(
            delete(MessageReaction).where(
                mine.message_id == message.id, mine.emoji_key == key, mine.member_id == actor.id
            )
        )
    return await _publish(session, target, "react" if on else "unreact", actor.id)


async def pin(
    session: AsyncSession, room_id: int, message_id: int, actor: Principal, on: bool
) -> dict[str, Any] | None:
    """Room owner/admins pin or unpin a message."""
    target = await _target(session, room_id, message_id, actor)
    message = target.message
    if target.role not in MODERATORS:
        raise forbidden("forbidden_role", "only the owner and room admins may pin messages")
    _alive(message)
    if on == (message.pinned_at is not None):
        return None
    message.pinned_at = utcnow() if on else None
    return await _publish(session, target, "pin" if on else "unpin", actor.id)
