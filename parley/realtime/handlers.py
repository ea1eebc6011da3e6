"""Client frames of protocol v1: each is validated, authorised, then acted on.

A bad frame gets an `error {code, detail, ref?}` and the connection carries on; only abuse
(too many pending sends) closes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from parley.chat import service as chat_service
from parley.chat.history import read_messages
from parley.chat.writer import Ack, SendRejected
from parley.core.database import MAX_BIGINT
from parley.files.attachments import InvalidAttachments, parse_attachment_ids
from parley.realtime.connection import Connection
from parley.realtime.events import RoomEvent
from parley.realtime.service import Realtime
from parley.realtime.wire import text_frame
from parley.rooms.access import get_membership, rooms_of_member

log = logging.getLogger("parley.realtime")

CALL_ACTIONS = frozenset({"request", "accept", "reject", "hangup", "offer", "answer", "ice"})
CALL_DATA_MAX_BYTES = 16 * 1024
PING_ID_MAX = 64


class FrameError(Exception):
    def __init__(self, code: str, detail: str, ref: Any = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.ref = ref


def error_frame(code: str, detail: str, ref: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    if ref is not None:
        frame["ref"] = ref
    return frame


def _id_field(frame: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = frame.get(name)
    if value is None and not required:
        return None
    if type(value) is not int or not 1 <= value <= MAX_BIGINT:
        raise FrameError("invalid_field", f"{name} must be a positive integer")
    return value


def _seq_field(frame: dict[str, Any], name: str, *, required: bool) -> int | None:
    value = frame.get(name)
    if value is None and not required:
        return None
    if type(value) is not int or not 0 <= value <= MAX_BIGINT:
        raise FrameError("invalid_field", f"{name} must be a non-negative integer")
    return value


class Session:
    """The protocol conversation of one connection."""

    def __init__(self, realtime: Realtime, conn: Connection) -> None:
        self.realtime = realtime
        self.conn = conn
        self.db = realtime.runtime.db
        self.pending: set[asyncio.Future[Ack]] = set()
        #: cleared while too many sends await their commit: the gateway stops reading the
        #: socket, so a client that pipelines faster than we store is slowed down by TCP
        self.capacity = asyncio.Event()
        self.capacity.set()
        self.handlers: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {
            "subscribe": self.on_subscribe,
            "unsubscribe": self.on_unsubscribe,
            "send": self.on_send,
            "typing": self.on_typing,
            "read": self.on_read,
            "call": self.on_call,
            "ping": self.on_ping,
        }

    async def send_ready(self) -> None:
        async with self.db.read_sessions() as session:
            rooms = await rooms_of_member(session, self.conn.member_id)
        self.conn.send(
            {
                "type": "ready",
                "member": {"id": self.conn.member_id, "nickname": self.conn.nickname},
                "rooms": [{"room_id": r, "last_seq": s} for r, s in rooms],
            }
        )

    async def handle_text(self, text: str) -> None:
        try:
            frame = orjson.loads(text)
        except orjson.JSONDecodeError:
            self.conn.send(error_frame("malformed_frame", "frame is not valid JSON"))
            return
        if not isinstance(frame, dict):
            self.conn.send(error_frame("malformed_frame", "frame must be a JSON object"))
            return
        kind = frame.get("type")
        handler = self.handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            self.conn.send(error_frame("unknown_type", "unknown or missing frame type"))
            return
        try:
            await handler(frame)
        except FrameError as exc:
            self.conn.send(error_frame(exc.code, exc.detail, exc.ref))
        except SendRejected as exc:
            self.conn.send(error_frame(exc.code, exc.detail, frame.get("client_msg_id")))
        except (OSError, ConnectionError) as exc:
            log.warning("frame failed: service unavailable", extra={"error": repr(exc)})
            self.conn.send(error_frame("unavailable", "a service is unavailable; retry"))

    async def _require_member(self, room_id: int) -> None:
        async with self.db.read_sessions() as session:
            membership = await get_membership(session, room_id, self.conn.member_id)
        if membership is None:
            # the same answer whether the room exists or not: private rooms do not leak
            raise FrameError("not_a_member", "not a member of this room", room_id)

    async def on_subscribe(self, frame: dict[str, Any]) -> None:
        room_id = _id_field(frame, "room_id")
        after_seq = _seq_field(frame, "after_seq", required=False)
        assert room_id is not None
        await self._require_member(room_id)
        hub, conn = self.realtime.hub, self.conn
        if hub.is_subscribed(conn, room_id):
            hub.unsubscribe(conn, room_id)
        live_from = await hub.begin_subscription(conn, room_id)
        try:
            if after_seq is not None and after_seq < live_from:
                if live_from - after_seq > self.realtime.settings.resume_max_messages:
                    conn.send({"type": "reset", "room_id": room_id, "last_seq": live_from})
                else:
                    await self._replay(room_id, after_seq, live_from)
        except BaseException:
            hub.unsubscribe(conn, room_id)
            raise
        conn.send({"type": "subscribed", "room_id": room_id, "last_seq": live_from})
        hub.finish_subscription(conn, room_id, live_from)

    async def _replay(self, room_id: int, after_seq: int, up_to: int) -> None:
        """Send what the member may see in (after_seq, up_to], pacing on the socket."""
        cursor = after_seq
        while cursor < up_to and not self.conn.closed:
            async with self.db.read_sessions() as session:
                page = await read_messages(
                    session,
                    room_id,
                    self.conn.member_id,
                    after_seq=cursor,
                    up_to_seq=up_to,
                    limit=100,
                )
            if not page:
                return
            for payload in page:
                self.conn.write(text_frame(orjson.dumps({"type": "message", **payload})))
            cursor = page[-1]["seq"]
            await self.conn.drain()

    async def on_unsubscribe(self, frame: dict[str, Any]) -> None:
        room_id = _id_field(frame, "room_id")
        assert room_id is not None
        self.realtime.hub.unsubscribe(self.conn, room_id)

    async def on_send(self, frame: dict[str, Any]) -> None:
        room_id = _id_field(frame, "room_id")
        to = _id_field(frame, "to", required=False)
        try:
            attachments = parse_attachment_ids(frame.get("attachments"))
        except InvalidAttachments as exc:
            raise FrameError(exc.code, exc.detail, frame.get("client_msg_id")) from None
        assert room_id is not None
        realtime = self.realtime
        client_msg_id, body = realtime.validate_send(frame.get("client_msg_id"), frame.get("body"))
        await realtime.check_send_rate(self.conn.member_id)
        future = realtime.submit(self.conn.member_id, room_id, client_msg_id, body, to, attachments)
        self.pending.add(future)
        if len(self.pending) >= realtime.settings.ws_max_pending_sends:
            self.capacity.clear()
        future.add_done_callback(self._send_done(client_msg_id))

    def _send_done(self, client_msg_id: str) -> Callable[[asyncio.Future[Ack]], None]:
        def done(future: asyncio.Future[Ack]) -> None:
            self.pending.discard(future)
            if len(self.pending) < self.realtime.settings.ws_max_pending_sends:
                self.capacity.set()
            if future.cancelled():
                return
            exc = future.exception()
            if exc is None:
                self.conn.send(future.result().frame())
            elif isinstance(exc, SendRejected):
                self.conn.send(error_frame(exc.code, exc.detail, client_msg_id))
            else:
                self.conn.send(error_frame("unavailable", "not stored; retry", client_msg_id))

        return done

    async def on_typing(self, frame: dict[str, Any]) -> None:
        room_id = _id_field(frame, "room_id")
        assert room_id is not None
        if not self.realtime.hub.is_subscribed(self.conn, room_id):
            raise FrameError("not_subscribed", "subscribe to the room first", room_id)
        self.realtime.typing(self.conn.member_id, room_id)

    async def on_read(self, frame: dict[str, Any]) -> None:
        room_id = _id_field(frame, "room_id")
        seq = _seq_field(frame, "seq", required=True)
        assert room_id is not None and seq is not None
        async with self.db.transaction() as session:
            marked = await chat_service.mark_read(session, room_id, self.conn.member_id, seq)
        if marked is None:
            raise FrameError("not_a_member", "not a member of this room", room_id)
        self.realtime.read_marker(self.conn.member_id, room_id, marked)

    async def on_call(self, frame: dict[str, Any]) -> None:
        room_id = _id_field(frame, "room_id")
        to = _id_field(frame, "to")
        action = frame.get("action")
        assert room_id is not None and to is not None
        if action not in CALL_ACTIONS:
            raise FrameError("invalid_field", f"action must be one of {sorted(CALL_ACTIONS)}")
        data = frame.get("data")
        if data is not None and len(orjson.dumps(data)) > CALL_DATA_MAX_BYTES:
            raise FrameError("too_large", "call data is too large")
        if to == self.conn.member_id:
            raise FrameError("invalid_target", "cannot call yourself")
        await self._require_member(room_id)
        async with self.db.read_sessions() as session:
            if await get_membership(session, room_id, to) is None:
                raise FrameError("invalid_target", "the callee is not a member of the room")
        relayed: dict[str, Any] = {
            "type": "call",
            "room_id": room_id,
            "from": self.conn.member_id,
            "action": action,
        }
        if data is not None:
            relayed["data"] = data
        await self.realtime.publish(
            RoomEvent(None, orjson.dumps(relayed), audience=frozenset({to}))
        )

    async def on_ping(self, frame: dict[str, Any]) -> None:
        ping_id = frame.get("id")
        valid = (isinstance(ping_id, str) and len(ping_id) <= PING_ID_MAX) or (
            type(ping_id) is int and abs(ping_id) <= MAX_BIGINT
        )
        if not valid:
            raise FrameError("invalid_field", "id must be a short string or an integer")
        self.conn.send({"type": "pong", "id": ping_id})

    def cancel_pending(self) -> None:
        """The connection is gone: acks can no longer be delivered (the sends still commit)."""
        self.pending.clear()
        self.capacity.set()
