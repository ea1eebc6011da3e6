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
    #: the id of a message of the same room that the sender can see
    reply_to: Id | None = None


class EditMessage(StrictModel):
    body: MessageBody


class ReadMarker(StrictModel):
    seq: Seq


class AckOut(BaseModel):
    client_msg_id: str
    room_id: int
    seq: int
    id: int


class CommandDoneOut(BaseModel):
    """A slash command that stored no message of the sender's ran (200 instead of 201)."""

    client_msg_id: str
    room_id: int
    command: str


class ReadOut(BaseModel):
    room_id: int
    seq: int


class MessagePage(BaseModel):
    """Oldest first; `has_more` says whether the query's direction has more beyond this page."""

    items: list[dict[str, Any]]
    #: with `around_seq`: more before this page
    has_more: bool
    #: with `around_seq` only: more after this page
    has_more_after: bool = False


class MessageList(BaseModel):
    """Pinned messages (most recently pinned first)."""

    items: list[dict[str, Any]]


class MessageVersion(BaseModel):
    body: str
    html: str
    #: when this version was written
    created_at: str


class VersionList(BaseModel):
    """Earlier versions of a message, oldest first."""

    items: list[MessageVersion]
