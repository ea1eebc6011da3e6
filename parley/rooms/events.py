"""What the rest of the system hears about a room change: system messages and events.

Both are written in the caller's transaction, so they exist exactly when the change commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from parley.core.database import timestamp
from parley.core.events import emit
from parley.rooms.hooks import hooks
from parley.rooms.models import Room
from parley.rooms.schemas import RoomOut

MemberEvent = Literal["join", "leave", "invite", "kick", "ban", "unban", "role", "owner"]
RoomChange = Literal["update", "delete"]


def room_payload(room: Room) -> dict[str, Any]:
    """The room as a JSON-ready dict: the `room` frame's payload and the API's `RoomOut`."""
    return RoomOut.model_validate(room).model_dump(mode="json")


async def announce_member(
    session: AsyncSession,
    room: Room,
    event: MemberEvent,
    member: tuple[int, str],
    role: str | None,
    body: str | None,
    **details: Any,
) -> None:
    """Record a membership change: a system message (when `body` is given) and a `member` frame.

    `member` is (id, nickname); `role` is the member's role after the change, None when the
    change leaves them outside the room.
    """
    member_id, nickname = member
    frame = {
        "type": "member",
        "room_id": room.id,
        "event": event,
        "member": {"id": member_id, "nickname": nickname, "role": role},
    }
    removal = event in ("leave", "kick", "ban")
    # the `member` frame goes first so the removed member hears of it too; the eviction
    # rides on the removal's system message (its seq), so nothing of a later seq reaches
    # them — or on this frame when there is no system message
    emit(session, frame, room_id=room.id, evict=[member_id] if removal and body is None else [])
    if body is not None:
        await hooks.system_message(session, room.id, event, body, member_id=member_id, **details)


def announce_room(
    session: AsyncSession, room: Room, event: RoomChange, *, rules_changed: bool = False
) -> None:
    """Queue a `room` frame carrying the room as it is now (or was, for a delete)."""
    frame = {"type": "room", "event": event, "room": room_payload(room)}
    emit(
        session,
        frame,
        room_id=room.id,
        evict_all=event == "delete",
        rules_changed=rules_changed,
    )


def announce_mute(
    session: AsyncSession, room_id: int, member_id: int, until: datetime | None
) -> None:
    """Queue a `mute` frame for the muted member's connections to the room (`until` null:
    unmuted); every process holding the room drops its cached restrictions of them."""
    frame = {
        "type": "mute",
        "room_id": room_id,
        "member_id": member_id,
        "until": timestamp(until) if until is not None else None,
    }
    emit(session, frame, room_id=room_id, audience=[member_id], rules_changed=True)
