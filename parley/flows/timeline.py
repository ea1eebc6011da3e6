"""System messages: a room change written into the room's timeline (rooms → chat)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat import api as chat


async def write_system_message(
    session: AsyncSession, room_id: int, event: str, body: str, **details: Any
) -> None:
    """The rooms domain's `system_message` hook: chat numbers and stores it, and emits its
    `message` event (a removal's carries the eviction) in the caller's transaction."""
    await chat.add_system_message(session, room_id, event, body, **details)
