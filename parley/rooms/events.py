"""What the rest of the system hears about a room change: system messages and events.

Both are written in the caller's transaction, so they exist exactly when the change commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import nickname_of
from parley.core.database import timestamp
from parley.core.events import emit
from parley.rooms.hooks import hooks
from parley.rooms.models import Room
from parley.rooms.schemas import RoomOut

MemberEvent = Literal["join", "leave", "invite", "kick", "ban", "unban", "role", "owner"]
RoomChange = Literal["update", "delete"]
#: membership changes that change the member's role in the room (None once they are out),
#: which the send path caches (moderators are not slowed): their events say so on the bus.
#: Not a join: it only turns "no role" into "member", the same answer to the send path
ROLE_CHANGES = frozenset({"leave", "kick", "ban", "role", "owner"})


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
    emit(
        session,
        frame,
        room_id=room.id,
        evict=[member_id] if removal and body is None else [],
        rules_of=[member_id] if event in ROLE_CHANGES else [],
    )
    if event == "invite":
        # the invitee is not in the room (no subscription): tell their sockets directly, so
        # the invitation shows at once on whatever page they have open
        emit(session, frame, audience=[member_id])
    if body is not None:
        # the names travel with the message, so pages can say it in their own language
        names = {"nickname": nickname, "role": role}
        if isinstance(details.get("by"), int):
            names["by_nickname"] = await nickname_of(session, details["by"])
        await hooks.system_message(
            session, room.id, event, body, member_id=member_id, **names, **details
        )


def announce_room(
    session: AsyncSession, room: Room, event: RoomChange, *, rules_changed: bool = False
) -> None:
    """Queue a `room` frame carrying the room as it is now (or was, for a delete).

    `rules_changed`: the update changed slow mode. A delete need not say so: what a process
    cached of the room is never right or wrong again (the writer refuses sends to a room
    with no members, `not_a_member`, and room ids are never reused)."""
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
