"""How stored messages look on the wire (WebSocket `message` frames and history items)."""

from __future__ import annotations

from typing import Any

import orjson

from parley.chat.models import Message

DELETED_MEMBER: dict[str, Any] = {"id": None, "nickname": "(deleted member)"}


def message_payload(message: Message, sender_nickname: str | None) -> dict[str, Any]:
    """The fields of a `message` frame (without `type`), also used for history items."""
    if message.kind == "system":
        sender = None
    elif message.sender_id is None:
        sender = dict(DELETED_MEMBER)
    else:
        sender = {"id": message.sender_id, "nickname": sender_nickname}
    payload: dict[str, Any] = {
        "room_id": message.room_id,
        "seq": message.seq,
        "id": message.id,
        "sender": sender,
        "kind": message.kind,
        "body": message.body,
        "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }
    if message.client_msg_id is not None:
        payload["client_msg_id"] = message.client_msg_id
    if message.kind == "whisper":
        payload["to"] = message.to_member_id
    if message.meta is not None:
        payload["meta"] = orjson.loads(message.meta)
    return payload
