"""The one event path: every change a client can see becomes an `Event`, emitted by `emit`.

An event is a server frame plus the rules of who gets it (`audience`, `room_ids`,
`exclude_member`) and whose subscriptions or sessions it ends (`evict`, `evict_all`,
`end_sessions`). `emit` writes it to the outbox in the caller's transaction, so it exists
exactly when the change commits; the relay publishes it afterwards. The outbox row holds the
event in its bus encoding, so the relay hands the bytes on without re-reading the frame.

New messages are the one exception that does not pass through the outbox: the message row
itself is the durable record (the hub reads gaps back from it), so the writer publishes
their events right after its commit — see `docs/architecture.md`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from parley.core.outbox import OUTBOX_PENDING, OutboxEvent


def text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented WebSocket text frame (RFC 6455 §5.2) holding `payload`."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65_536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


@dataclass(slots=True)
class Event:
    """A server frame for the subscribers of a room, of several rooms, or of some members.

    `seq` is set for timeline events: they are delivered in seq order, once. `audience`
    limits a frame to some members (whispers, calls, personal events); with no `room_id` it
    goes to every connection of those members. `evict` names members whose subscription to
    the room ends once this frame is delivered (leave, kick, ban); `evict_all` ends every one
    (delete). `end_sessions` closes the connections of those login sessions (logout, password
    change, withdrawal) with 4001; `end_member` closes every connection of the audience.
    `rules_changed` says send restrictions in the room changed (slow mode: everyone's; a
    mute: the audience's), so every process that receives it drops what it cached of them
    (`parley.realtime.moderation`); `rules_of` names the members whose restrictions changed
    when that is not the frame's audience (a role change or a removal is told to the whole
    room but changes one member's). Either travels on the bus's channel that every
    process hears, not only those with the room open (`bus_redis`, `bus_kafka`).
    """

    room_id: int | None
    payload: bytes
    seq: int | None = None
    audience: frozenset[int] | None = None
    room_ids: tuple[int, ...] = ()
    evict: frozenset[int] = frozenset()
    evict_all: bool = False
    exclude_member: int | None = None
    end_sessions: frozenset[str] = frozenset()
    end_member: bool = False
    rules_changed: bool = False
    rules_of: frozenset[int] = frozenset()
    _frame: bytes | None = field(default=None, repr=False)

    @property
    def frame(self) -> bytes:
        """The WebSocket frame bytes, built on first use and shared by every recipient."""
        if self._frame is None:
            self._frame = text_frame(self.payload)
        return self._frame

    @property
    def ends_sessions(self) -> bool:
        return bool(self.end_sessions) or self.end_member

    @property
    def changes_rules(self) -> bool:
        """Whether cached send restrictions of the room must be dropped (see above)."""
        return self.room_id is not None and (self.rules_changed or bool(self.rules_of))

    def to_wire(self) -> bytes:
        """The event as bus bytes (Redis, Kafka) and as stored in the outbox."""
        raw: dict[str, Any] = {
            "r": self.room_id,
            "s": self.seq,
            "a": sorted(self.audience) if self.audience is not None else None,
            "rs": list(self.room_ids),
            "e": sorted(self.evict),
            "ea": self.evict_all,
            "x": self.exclude_member,
            "p": orjson.Fragment(self.payload),
        }
        if self.end_sessions:
            raw["es"] = sorted(self.end_sessions)
        if self.end_member:
            raw["em"] = True
        if self.rules_changed or self.rules_of:
            raw["rc"] = True  # a reader that knows no `rm` drops the room's (or audience's)
        if self.rules_of:
            raw["rm"] = sorted(self.rules_of)
        return orjson.dumps(raw)

    @classmethod
    def from_wire(cls, data: bytes | str) -> Event:
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
            end_sessions=frozenset(raw.get("es") or ()),
            end_member=bool(raw.get("em")),
            rules_changed=bool(raw.get("rc")) and not raw.get("rm"),
            rules_of=frozenset(raw.get("rm") or ()),
        )


class Rules(TypedDict, total=False):
    """Who gets an event and whose subscriptions or sessions it ends (see `Event`)."""

    room_id: int | None
    seq: int | None
    audience: Iterable[int] | None
    room_ids: Iterable[int]
    evict: Iterable[int]
    evict_all: bool
    exclude_member: int | None
    end_sessions: Iterable[str]
    end_member: bool
    rules_changed: bool
    rules_of: Iterable[int]


def make_event(frame: Mapping[str, Any], **rules: Unpack[Rules]) -> Event:
    """An event for `frame` with its delivery rules (see `Event`)."""
    audience = rules.get("audience")
    return Event(
        rules.get("room_id"),
        orjson.dumps(frame),
        seq=rules.get("seq"),
        audience=frozenset(audience) if audience is not None else None,
        room_ids=tuple(rules.get("room_ids", ())),
        evict=frozenset(rules.get("evict", ())),
        evict_all=rules.get("evict_all", False),
        exclude_member=rules.get("exclude_member"),
        end_sessions=frozenset(rules.get("end_sessions", ())),
        end_member=rules.get("end_member", False),
        rules_changed=rules.get("rules_changed", False),
        rules_of=frozenset(rules.get("rules_of", ())),
    )


def emit(session: AsyncSession, frame: Mapping[str, Any], **rules: Unpack[Rules]) -> Event:
    """Emit a client-visible change in the caller's transaction: the one way events leave.

    The frame, its audience and its eviction rules go to the outbox together; nothing is
    published unless the transaction commits, and the relay publishes it after.
    """
    return emit_event(session, make_event(frame, **rules))


def emit_event(session: AsyncSession, event: Event) -> Event:
    """`emit` for an event already built (a timeline event whose rules follow its frame)."""
    session.add(OutboxEvent(room_id=event.room_id, payload=event.to_wire().decode()))
    session.info[OUTBOX_PENDING] = True
    return event


#: system messages whose member leaves the room: their delivery ends the member's subscription
REMOVALS = frozenset({"leave", "kick", "ban"})


def message_event(frame: Mapping[str, Any]) -> Event:
    """The event of a `message` or `message_update` frame: ordered by seq, whispers (and
    changes to them) only to their two members.

    A removal's system message (leave, kick, ban) evicts the removed member as it is
    delivered, so no later seq of the room reaches their sockets. The rule is derived from
    the stored message, so a gap fill or catch-up read back from the database carries it too.
    """
    # a `message_update` (edit, delete, reaction, pin) goes where its message goes
    message = frame.get("message") if frame.get("type") == "message_update" else frame
    assert isinstance(message, Mapping)
    audience = None
    if message.get("kind") == "whisper":
        sender = (message.get("sender") or {}).get("id")
        audience = [m for m in (sender, message.get("to")) if m is not None]
    evict: list[int] = []
    meta = frame.get("meta")
    if frame.get("kind") == "system" and isinstance(meta, dict) and meta.get("event") in REMOVALS:
        member_id = meta.get("member_id")
        if isinstance(member_id, int):
            evict.append(member_id)
    return make_event(
        frame,
        room_id=int(frame["room_id"]),
        seq=int(frame["seq"]),
        audience=audience,
        evict=evict,
    )
