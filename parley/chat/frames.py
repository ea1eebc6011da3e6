"""How stored messages look on the wire (WebSocket `message` frames and history items)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from parley.chat.models import Message
from parley.chat.render import render
from parley.core.database import timestamp

DELETED_MEMBER: dict[str, Any] = {"id": None, "nickname": "(deleted member)"}


def message_payload(
    message: Message,
    sender_nickname: str | None,
    attachments: list[dict[str, Any]] | None = None,
    *,
    reactions: list[dict[str, Any]] | None = None,
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields of a `message` frame (without `type`), also used for history items."""
    return build_payload(
        room_id=message.room_id,
        seq=message.seq,
        message_id=message.id,
        sender_id=message.sender_id,
        sender_nickname=sender_nickname,
        kind=message.kind,
        body=message.body,
        created_at=message.created_at,
        client_msg_id=message.client_msg_id,
        to_member_id=message.to_member_id,
        meta=message.meta,
        attachments=attachments,
        # rows stored before html existed are rendered on read
        html=message.html or (render(message.body) if message.deleted_by is None else ""),
        edited_at=message.edited_at,
        deleted_by=message.deleted_by,
        reactions=reactions,
        reply_to=reply_to,
        mentions=orjson.loads(message.mentions) if message.mentions else None,
        mentions_room=bool(message.mentions_room),
        pinned=message.pinned_at is not None,
    )


def sender_of(kind: str, sender_id: int | None, nickname: str | None) -> dict[str, Any] | None:
    if kind == "system":
        return None
    if sender_id is None:
        return dict(DELETED_MEMBER)
    return {"id": sender_id, "nickname": nickname}


def build_payload(
    *,
    room_id: int,
    seq: int,
    message_id: int,
    sender_id: int | None,
    sender_nickname: str | None,
    kind: str,
    body: str,
    created_at: datetime,
    client_msg_id: str | None,
    to_member_id: int | None,
    meta: str | None,
    attachments: list[dict[str, Any]] | None = None,
    html: str = "",
    edited_at: datetime | None = None,
    deleted_by: str | None = None,
    reactions: list[dict[str, Any]] | None = None,
    reply_to: dict[str, Any] | None = None,
    mentions: list[int] | None = None,
    mentions_room: bool = False,
    pinned: bool = False,
) -> dict[str, Any]:
    """One place that decides how a stored message looks to clients.

    `attachments` (the message's files) appear only when there are some, like `to`; the
    fields of a message's life (issue 12) are always there.
    """
    sender = sender_of(kind, sender_id, sender_nickname)
    payload: dict[str, Any] = {
        "room_id": room_id,
        "seq": seq,
        "id": message_id,
        "sender": sender,
        "kind": kind,
        "body": body,
        "created_at": timestamp(created_at),
        "html": html,
        "edited_at": timestamp(edited_at) if edited_at is not None else None,
        "deleted": deleted_by is not None,
        "deleted_by": deleted_by,
        "reactions": reactions or [],
        "reply_to": reply_to,
        "mentions": mentions or [],
        "mentions_room": mentions_room,
        "pinned": pinned,
    }
    if client_msg_id is not None:
        payload["client_msg_id"] = client_msg_id
    if kind == "whisper":
        payload["to"] = to_member_id
    if meta is not None:
        payload["meta"] = orjson.loads(meta)
    if attachments:
        payload["attachments"] = attachments
    return payload
