"""Bodies of the message endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from parley.core.fields import ClientMsgId, Id, MessageBody, Seq
from parley.core.schemas import StrictModel


class SendMessage(StrictModel):
    #: the field types of the WebSocket `send` frame (lengths, control characters)
    body: MessageBody
    client_msg_id: ClientMsgId
    to: Id | None = None
    #: ids of files the caller uploaded (`POST /files`), at most 10
    attachments: Annotated[list[int] | None, Field(max_length=64)] = None


class ReadMarker(StrictModel):
    seq: Seq


class AckOut(BaseModel):
    client_msg_id: str
    room_id: int
    seq: int
    id: int


class ReadOut(BaseModel):
    room_id: int
    seq: int


class MessagePage(BaseModel):
    """Oldest first; `has_more` says whether the query's direction has more beyond this page."""

    items: list[dict[str, Any]]
    has_more: bool
