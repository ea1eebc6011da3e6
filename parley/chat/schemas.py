"""Bodies of the message endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from parley.core.database import MAX_BIGINT
from parley.core.schemas import StrictModel


class SendMessage(StrictModel):
    #: validated by the same rules as the WebSocket `send` frame (lengths, control characters)
    body: Annotated[str, Field(max_length=400_000)]
    client_msg_id: Annotated[str, Field(min_length=1, max_length=64)]
    to: Annotated[int | None, Field(ge=1, le=MAX_BIGINT)] = None
    #: ids of files the caller uploaded (`POST /files`), at most 10
    attachments: Annotated[list[int] | None, Field(max_length=64)] = None


class ReadMarker(StrictModel):
    seq: Annotated[int, Field(ge=0, le=MAX_BIGINT)]


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
