"""Client frames of protocol v1: each is decoded into its model, authorised, then acted on.

A bad frame gets an `error {code, detail, ref?}` and the connection carries on; so does a
frame that meets an unavailable database (`unavailable`: retry). Abuse closes it: too many
pending sends stop the reading, and sustained flooding (many frames refused as
`rate_limited` in a short time) closes with 4008.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from msgspec import UNSET

from parley.chat.api import Ack, SendRejected, mark_read, read_timeline
from parley.core.errors import ParleyError, is_database_unavailable
from parley.core.ratelimit import RateLimiter
from parley.flows.api import CommandDone
from parley.realtime.connection import Connection
from parley.realtime.events import RoomEvent
from parley.realtime.protocol import (
    AnyClientFrame,
    ClientCall,
    ClientPing,
    ClientRead,
    ClientSend,
    ClientSubscribe,
    ClientTyping,
    ClientUnsubscribe,
    FrameError,
    MemberRef,
    RoomSeq,
    ServerCall,
    ServerCommandDone,
    ServerFrame,
    ServerPong,
    ServerReady,
    ServerReset,
    ServerSubscribed,
    decode_client_frame,
    encode,
    error,
)
from parley.realtime.service import Realtime
from parley.realtime.wire import text_frame
from parley.rooms.api import get_membership, purged_seq_of, rooms_of_member
from parley.social.api import is_blocked

log = logging.getLogger("parley.realtime")

CLOSE_POLICY = 4008

__all__ = ["CLOSE_POLICY", "FrameError", "Session", "error_frame"]


def error_frame(code: str, detail: str, ref: Any = None) -> dict[str, Any]:
    """An `error` frame as a dict (for callers outside a session, e.g. the gateway)."""
    frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
    if ref is not None:
        frame["ref"] = ref
    return frame


_session_keys = itertools.count()


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
        #: this connection's key in the process's per-connection buckets
        self.key = next(_session_keys)
        self.budgets = realtime.connection_budgets

    def reply(self, frame: ServerFrame) -> None:
        self.conn.write(text_frame(encode(frame)))

    async def send_ready(self) -> None:
        async with self.db.read_sessions() as session:
            rooms = await rooms_of_member(session, self.conn.member_id)
        member = MemberRef(self.conn.member_id, self.conn.nickname)
        self.reply(ServerReady(member, [RoomSeq(r, s) for r, s in rooms]))

    async def handle_text(self, text: str) -> None:
        frame: AnyClientFrame | None = None
        try:
            frame = decode_client_frame(text)
        except FrameError as exc:
            bad: FrameError | None = exc
        else:
            bad = None
        # bad frames count too: flooding with garbage is flooding
        if type(frame) is not ClientSend and self.budgets.frames.take(self.key):
            self.refuse("rate_limited", "too many frames; slow down")
            return
        if frame is None:
            assert bad is not None
            self.refuse(bad.code, bad.detail, bad.ref)
            return
        try:
            await _HANDLERS[type(frame)](self, frame)
        except FrameError as exc:
            self.refuse(exc.code, exc.detail, exc.ref)
        except Exception as exc:
            # what the answer is about: a send's client_msg_id, else the frame's room
            ref: str | int | None = None
            if isinstance(frame, ClientSend):
                ref = frame.client_msg_id
            elif not isinstance(frame, ClientPing):
                ref = frame.room_id
            if not is_database_unavailable(exc):
                log.exception("frame failed", extra={"frame": type(frame).__name__})
                self.refuse("internal_error", "the frame could not be handled", ref)
                return
            log.warning("frame failed: service unavailable", extra={"error": repr(exc)})
            self.refuse("unavailable", "a service is unavailable; retry", ref)

    def refuse(self, code: str, detail: str, ref: str | int | None = None) -> None:
        """Answer with an error; refusals for rate count towards closing a flooder."""
        self.reply(error(code, detail, ref))
        if code == "rate_limited" and self.budgets.refusals.take(self.key):
            log.info("closing a flooding connection", extra={"member_id": self.conn.member_id})
            self.conn.close(CLOSE_POLICY, "rate limit: too many frames")

    async def _take(self, limits: RateLimiter, what: str) -> None:
        wait = await limits.take(str(self.conn.member_id))
        if wait:
            raise FrameError("rate_limited", f"too many {what} frames; retry in {wait:.2f} s")

    async def _require_member(self, room_id: int) -> int:
        """The member's read marker in the room; `not_a_member` unless a member."""
        async with self.db.read_sessions() as session:
            membership = await get_membership(session, room_id, self.conn.member_id)
        if membership is None:
            # the same answer whether the room exists or not: private rooms do not leak
            raise FrameError("not_a_member", "not a member of this room", room_id)
        return membership.last_read_seq

    async def on_subscribe(self, frame: ClientSubscribe) -> None:
        room_id, after_seq = frame.room_id, frame.after_seq
        await self._require_member(room_id)
        hub, conn = self.realtime.hub, self.conn
        if hub.is_subscribed(conn, room_id):
            hub.unsubscribe(conn, room_id)
        live_from = await hub.begin_subscription(conn, room_id)
        try:
            # a removal that committed between the check above and the registration was
            # delivered before this connection listened: ask again now that it listens
            # (any later removal's event will evict it)
            if not hub.is_subscribed(conn, room_id):
                raise FrameError("not_a_member", "not a member of this room", room_id)
            # read now that it listens: a later marker's `read` frame reaches this socket
            read_seq = await self._require_member(room_id)
            if after_seq is not None and after_seq < live_from:
                too_far = live_from - after_seq > self.realtime.settings.resume_max_messages
                if too_far or after_seq < await self._purged_seq(room_id):
                    # too much to replay, or part of it purged (retention): fetch over HTTP
                    self.reply(ServerReset(room_id, live_from))
                else:
                    await self._replay(room_id, after_seq, live_from)
        except BaseException:
            hub.unsubscribe(conn, room_id)
            raise
        if not hub.is_subscribed(conn, room_id):  # removed from the room during the replay
            raise FrameError("not_a_member", "not a member of this room", room_id)
        self.reply(ServerSubscribed(room_id, live_from, read_seq))
        hub.finish_subscription(conn, room_id, live_from)

    async def _purged_seq(self, room_id: int) -> int:
        async with self.db.read_sessions() as session:
            return await purged_seq_of(session, room_id)

    async def _replay(self, room_id: int, after_seq: int, up_to: int) -> None:
        """Send what the member may see in (after_seq, up_to] — new messages and changes to
        messages, in seq order — pacing on the socket."""
        cursor = after_seq
        while cursor < up_to and not self.conn.closed:
            async with self.db.read_sessions() as session:
                page = await read_timeline(
                    session,
                    room_id,
                    self.conn.member_id,
                    after_seq=cursor,
                    up_to_seq=up_to,
                    limit=100,
                )
            if not page:
                return
            for frame in page:
                self.conn.write(text_frame(orjson.dumps(frame)))
            cursor = page[-1]["seq"]
            await self.conn.drain()

    async def on_unsubscribe(self, frame: ClientUnsubscribe) -> None:
        self.realtime.hub.unsubscribe(self.conn, frame.room_id)

    async def on_send(self, frame: ClientSend) -> None:
        realtime, client_msg_id = self.realtime, frame.client_msg_id
        attachments = tuple(dict.fromkeys(frame.attachments)) if frame.attachments else ()
        try:
            future = await realtime.send(
                self.conn.member_id,
                frame.room_id,
                client_msg_id,
                frame.body,
                frame.to,
                attachments,
                frame.reply_to,
            )
        except (SendRejected, ParleyError) as exc:
            raise FrameError(exc.code, exc.detail, client_msg_id) from None
        if isinstance(future, CommandDone):  # a slash command that stored no message
            self.reply(ServerCommandDone(future.client_msg_id, future.room_id, future.command))
            return
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
                self.reply(error(exc.code, exc.detail, client_msg_id))
            else:
                self.reply(error("unavailable", "not stored; retry", client_msg_id))

        return done

    async def on_typing(self, frame: ClientTyping) -> None:
        if not self.realtime.hub.is_subscribed(self.conn, frame.room_id):
            raise FrameError("not_subscribed", "subscribe to the room first", frame.room_id)
        self.realtime.typing(self.conn.member_id, frame.room_id)

    async def on_read(self, frame: ClientRead) -> None:
        await self._take(self.realtime.read_limits, "read")
        async with self.db.transaction() as session:  # a moved marker emits `read` with it
            marked = await mark_read(session, frame.room_id, self.conn.member_id, frame.seq)
        if marked is None:
            raise FrameError("not_a_member", "not a member of this room", frame.room_id)

    async def on_call(self, frame: ClientCall) -> None:
        """Relayed to the callee alone, if both are in the room and neither blocked the
        other (like whispers and direct messages)."""
        await self._take(self.realtime.call_limits, "call")
        me, room_id, to = self.conn.member_id, frame.room_id, frame.to
        if to == me:
            raise FrameError("invalid_target", "cannot call yourself")
        await self._require_member(room_id)
        async with self.db.read_sessions() as session:
            if await get_membership(session, room_id, to) is None:
                raise FrameError("invalid_target", "the callee is not a member of the room")
            if await is_blocked(session, me, to):
                raise FrameError("blocked", "one of you has blocked the other")
        data = UNSET if frame.data is None else frame.data
        relayed = encode(ServerCall(room_id, me, frame.action, data))
        await self.realtime.publish(RoomEvent(None, relayed, audience=frozenset({to})))
        if frame.action == "request":  # rings by push too when the callee has no socket
            self.realtime.push.call(room_id, me, to)

    async def on_ping(self, frame: ClientPing) -> None:
        self.reply(ServerPong(frame.id))

    def cancel_pending(self) -> None:
        """The connection is gone: acks can no longer be delivered (the sends still commit)."""
        self.pending.clear()
        self.capacity.set()


#: the handler of each client frame type (one table for all sessions)
_HANDLERS: dict[type[Any], Callable[[Session, Any], Awaitable[None]]] = {
    ClientSubscribe: Session.on_subscribe,
    ClientUnsubscribe: Session.on_unsubscribe,
    ClientSend: Session.on_send,
    ClientTyping: Session.on_typing,
    ClientRead: Session.on_read,
    ClientCall: Session.on_call,
    ClientPing: Session.on_ping,
}
