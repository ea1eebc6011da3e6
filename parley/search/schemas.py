"""The search answer: each hit with its room and where in the body the terms are."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class RoomRef(BaseModel):
    id: int
    name: str
    kind: str


class SearchHit(BaseModel):
    #: the message as history shows it
    message: dict[str, Any]
    room: RoomRef
    #: [start, end) character offsets into `message.body`, merged and sorted
    highlights: list[tuple[int, int]]


class SearchPage(BaseModel):
    """Newest first. A page can be short while `next_cursor` is set: the server bounds the
    work of each page and continues below it on the next."""

    items: list[SearchHit]
    next_cursor: str | None
