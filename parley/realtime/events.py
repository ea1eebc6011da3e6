"""What travels on the bus: a frame for a room, encoded once, with its ordering and audience."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from parley.realtime.wire import text_frame


@dataclass(slots=True)
class RoomEvent:
    """A server frame for the subscribers of a room (or of several rooms, for presence).

    `seq` is set for messages: they are delivered in seq order, once. `audience` limits a
    frame to some members (whispers). `evict` names members whose subscription to the room
    ends once this frame is delivered (leave, kick, ban); `evict_all` ends every one (delete).
    """

    room_id: int | None
    payload: bytes
    seq: int | None = None
    audience: frozenset[int] | None = None
    room_ids: tuple[int, ...] = ()
    evict: frozenset[int] = frozenset()
    evict_all: bool = False
    exclude_member: int | None = None
    _frame: bytes | None = field(default=None, repr=False)

    @property
    def frame(self) -> bytes:
        """The WebSocket frame bytes, built on first use and shared by every recipient."""
        if self._frame is None:
            self._frame = text_frame(self.payload)
        return self._frame

    def to_wire(self) -> bytes:
        """The event as bus bytes (Redis, Kafka)."""
        return orjson.dumps(
            {
                "r": self.room_id,
                "s": self.seq,
                "a": sorted(self.audience) if self.audience is not None else None,
                "rs": list(self.room_ids),
                "e": sorted(self.evict),
                "ea": self.evict_all,
                "x": self.exclude_member,
                "p": orjson.Fragment(self.payload),
            }
        )

    @classmethod
    def from_wire(cls, data: bytes) -> RoomEvent:
        raw: dict[str, Any] = orjson.loads(data)
        audience = raw.get("a")
        return cls(
            room_id=raw.get("r"),
            payload=orjson.dumps(raw["p"]),
            seq=raw.get("s"),
            audience=frozenset(audience) if audience is not None else None,
            room_ids=tuple(raw.get("rs") or ()),
            evict=frozenset(raw.get("e") or ()),
            evict_all=bool(raw.get("ea")),
            exclude_member=raw.get("x"),
        )


def event_from_frame(room_id: int | None, frame: dict[str, Any]) -> RoomEvent:
    """Build the bus event for a frame taken from the outbox or made by the gateway."""
    payload = orjson.dumps(frame)
    kind = frame.get("type")
    if kind == "message":
        audience = None
        if frame.get("kind") == "whisper":
            sender = (frame.get("sender") or {}).get("id")
            audience = frozenset(m for m in (sender, frame.get("to")) if m is not None)
        return RoomEvent(room_id, payload, seq=int(frame["seq"]), audience=audience)
    if kind == "member" and frame.get("event") in ("leave", "kick", "ban"):
        member_id = int(frame["member"]["id"])
        return RoomEvent(room_id, payload, evict=frozenset({member_id}))
    if kind == "room" and frame.get("event") == "delete":
        return RoomEvent(room_id, payload, evict_all=True)
    return RoomEvent(room_id, payload)
