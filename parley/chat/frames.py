"""How stored messages look on the wire (WebSocket `message` frames and history items)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from parley.chat.models import Message

DELETED_MEMBER: dict[str, Any] = {"id": None, "nickname": "(deleted member)"}


def message_payload(
    message: Message,
    sender_nickname: str | None,
    attachments: list[dict[str, Any]] | None = None,
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
    )


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
) -> dict[str, Any]:
    """One place that decides how a stored message looks to clients.

    `attachments` (the message's files) appear only when there are some, like `to`.
    """
    if kind == "system":
        sender = None
    elif sender_id is None:
        sender = dict(DELETED_MEMBER)
    else:
        sender = {"id": sender_id, "nickname": sender_nickname}
    payload: dict[str, Any] = {
        "room_id": room_id,
        "seq": seq,
        "id": message_id,
        "sender": sender,
        "kind": kind,
        "body": body,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
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
