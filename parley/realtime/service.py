"""The real-time service of one process: bus, hub, message writer, presence, relay, limits.

Gateways and HTTP routes both go through it, so a message sent over HTTP follows exactly the
path (rules, ack, publication) of one sent over WebSocket.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from parley.chat.history import read_messages
from parley.chat.writer import Ack, MessageWriter, Send, SendRejected
from parley.core.config import Settings
from parley.core.ratelimit import TokenBucket
from parley.core.runtime import Runtime
from parley.core.text import clean_body
from parley.realtime.bus import EventBus, MemoryBus
from parley.realtime.events import RoomEvent, event_from_frame
from parley.realtime.hub import Hub
from parley.realtime.presence import MemoryPresence
from parley.realtime.relay import OutboxRelay
from parley.realtime.tickets import MemoryTicketStore
from parley.rooms.access import get_room, rooms_of_member

log = logging.getLogger("parley.realtime")
REALTIME_KEY = "realtime"
CLIENT_MSG_ID_MAX = 64


class Realtime:
    def __init__(self, runtime: Runtime, bus: EventBus | None = None) -> None:
        self.runtime = runtime
        self.settings: Settings = runtime.settings
        self.bus: EventBus = bus or MemoryBus()
        self.hub = Hub(self._load_last_seq, self._fetch_range)
        self.writer = MessageWriter(runtime.db, self._publish_frames)
        self.relay = OutboxRelay(runtime.db, self.publish)
        self.presence = MemoryPresence(self.settings.presence_grace_seconds, self._presence_changed)
        self.tickets = MemoryTicketStore(self.settings.ws_ticket_ttl_seconds)
        self.send_limits = TokenBucket(self.settings.send_rate, self.settings.send_burst)
        self._typing_limits = TokenBucket(1 / max(self.settings.typing_interval_seconds, 1e-3), 1)
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.bus.start(self.hub.dispatch)
        self.writer.start()
        self.relay.start()
        readiness = self.runtime.extras.setdefault("readiness", {})
        readiness["bus"] = self.bus.ping

    async def stop(self) -> None:
        self.hub.close_all(1001, "server shutting down")
        await self.relay.stop()
        await self.writer.stop()
        self.presence.close()
        for task in list(self._tasks):
            task.cancel()
        await self.bus.close()

    # -- publishing -------------------------------------------------------------------------

    async def publish(self, event: RoomEvent) -> None:
        await self.bus.publish(event)

    async def _publish_frames(self, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            await self.bus.publish(event_from_frame(frame["room_id"], frame))

    def publish_soon(self, event: RoomEvent) -> None:
        """Fire-and-forget publication (typing, presence): losing one is harmless."""
        self._spawn(self.publish(event))

    # -- sending ----------------------------------------------------------------------------

    def validate_send(self, client_msg_id: object, body: object) -> tuple[str, str]:
        """(client_msg_id, cleaned body) or SendRejected: the same rules for WS and HTTP."""
        if not isinstance(client_msg_id, str) or not 1 <= len(client_msg_id) <= CLIENT_MSG_ID_MAX:
            raise SendRejected("invalid_field", "client_msg_id must be a string of 1 to 64 chars")
        if not client_msg_id.isprintable():
            raise SendRejected("invalid_field", "client_msg_id must be printable")
        if not isinstance(body, str):
            raise SendRejected("invalid_field", "body must be a string")
        limit = self.settings.message_max_chars
        if len(body) > limit * 4:
            raise SendRejected("body_too_long", f"body is longer than {limit} characters")
        cleaned = clean_body(body)
        if not cleaned:
            raise SendRejected("empty_body", "body is empty")
        if len(cleaned) > limit:
            raise SendRejected("body_too_long", f"body is longer than {limit} characters")
        return client_msg_id, cleaned

    def check_send_rate(self, member_id: int) -> None:
        wait = self.send_limits.take(member_id)
        if wait:
            raise SendRejected("rate_limited", f"sending too fast; retry in {wait:.2f} s")

    def submit(
        self, member_id: int, room_id: int, client_msg_id: str, body: str, to: int | None = None
    ) -> asyncio.Future[Ack]:
        """Queue a validated, rate-checked send; the future resolves after commit."""
        if to == member_id:
            raise SendRejected("invalid_target", "cannot whisper to yourself")
        return self.writer.submit(Send(member_id, room_id, client_msg_id, body, to))

    # -- typing, read markers, presence -----------------------------------------------------

    def typing(self, member_id: int, room_id: int) -> None:
        if self._typing_limits.take((member_id, room_id)):
            return  # throttled: clients keep showing the last one until it expires
        frame = {"type": "typing", "room_id": room_id, "member_id": member_id}
        self.publish_soon(RoomEvent(room_id, orjson.dumps(frame), exclude_member=member_id))

    def read_marker(self, member_id: int, room_id: int, seq: int) -> None:
        frame = {"type": "read", "room_id": room_id, "member_id": member_id, "seq": seq}
        self.publish_soon(RoomEvent(room_id, orjson.dumps(frame)))

    def _presence_changed(self, member_id: int, status: str) -> None:
        self._spawn(self._announce_presence(member_id, status))

    async def _announce_presence(self, member_id: int, status: str) -> None:
        async with self.runtime.db.read_sessions() as session:
            rooms = await rooms_of_member(session, member_id)
        if rooms:
            frame = {"type": "presence", "member_id": member_id, "status": status}
            await self.publish(
                RoomEvent(None, orjson.dumps(frame), room_ids=tuple(r for r, _ in rooms))
            )

    # -- hub callbacks ----------------------------------------------------------------------

    async def _load_last_seq(self, room_id: int) -> int:
        async with self.runtime.db.read_sessions() as session:
            room = await get_room(session, room_id)
            return room.last_seq if room is not None else 0

    async def _fetch_range(self, room_id: int, after: int, before: int) -> list[RoomEvent]:
        async with self.runtime.db.read_sessions() as session:
            payloads = await read_messages(
                session, room_id, None, after_seq=after, before_seq=before, limit=before - after
            )
        return [event_from_frame(room_id, {"type": "message", **p}) for p in payloads]

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def realtime_of(runtime: Runtime) -> Realtime:
    service: Realtime = runtime.extras[REALTIME_KEY]
    return service


async def start_realtime(runtime: Runtime) -> Realtime:
    service = Realtime(runtime)
    runtime.extras[REALTIME_KEY] = service
    await service.start()
    return service


async def stop_realtime(runtime: Runtime) -> None:
    service = runtime.extras.pop(REALTIME_KEY, None)
    if service is not None:
        await service.stop()
