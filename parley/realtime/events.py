"""What travels on the bus: `parley.core.events.Event`, named `RoomEvent` here for the hub.

The event type lives in core because every domain emits events in its own transactions;
this module keeps the realtime side's name and the rule that turns a bare frame (a legacy
outbox row, a history page read back for a gap) into an event.
"""

from __future__ import annotations

from typing import Any

from parley.core.events import Event, make_event, message_event

RoomEvent = Event

__all__ = ["RoomEvent", "event_from_frame"]


def event_from_frame(room_id: int | None, frame: dict[str, Any]) -> RoomEvent:
    """The event of a bare frame, with the delivery rules its type implies."""
    kind = frame.get("type")
    if kind in ("message", "message_update"):
        return message_event(frame)
    if kind == "member" and frame.get("event") in ("leave", "kick", "ban"):
        return make_event(frame, room_id=room_id, evict=[int(frame["member"]["id"])])
    if kind == "room" and frame.get("event") == "delete":
        return make_event(frame, room_id=room_id, evict_all=True)
    return make_event(frame, room_id=room_id)
