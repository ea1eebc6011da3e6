"""The native `/ws` path: an asyncio protocol per connection, no ASGI in between.

uvicorn parses the HTTP upgrade request; for `/ws` it hands the socket to `NativeSocket`
(`parley.core.serving` routes the upgrade) instead of starting an ASGI conversation. From
then on frames are parsed in `data_received` and each is handled by a task of its own, one
at a time: no ASGI conversation, middleware stack, receive queue or Starlette `WebSocket`
per connection, so an idle connection holds only its transport, this object and its
`Connection`/`Session`. Keepalive pings come from one sweep
per process, not a timer per connection.

Same behaviour as the ASGI path (`gateway.websocket_endpoint`, still used under other ASGI
servers and with `PARLEY_WS_NATIVE=false`): authentication after the handshake with close
codes 4001/4003, `ready` first, close 1009 for oversize and 1007 for invalid UTF-8, 1001 on
shutdown, reading paused while too many sends await their commit.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any, cast

from starlette.requests import HTTPConnection

from parley.core.proxy import ForwardedHeadersMiddleware, parse_networks
from parley.core.request_context import current_address
from parley.realtime import handlers
from parley.realtime.connection import Connection
from parley.realtime.gateway import HandshakeRefused, authenticate_handshake, end_session
from parley.realtime.service import Realtime, realtime_of
from parley.realtime.wire import BAD_HANDSHAKE
from parley.realtime.wsframes import (
    BINARY,
    CLOSE,
    PING,
    PONG,
    FrameReader,
    ProtocolViolation,
    close_code_of,
    close_frame,
    control_frame,
    handshake_key,
    switching_protocols,
)

log = logging.getLogger("parley.realtime.native")

#: unhandled input a connection may hold (before `ready`, or while a frame is handled)
#: before reading pauses; never below two frames of the largest size, or a big frame could
#: not complete
INPUT_LIMIT = 256 * 1024
MAX_LINE_BYTES = 8192


class NativeGateway:
    """Per server process: makes a `NativeSocket` for each upgrade and pings quiet ones."""

    def __init__(self, app: Any, forwarded_allow_ips: list[str], ping_interval: float) -> None:
        self.app = app
        self.forwarded = ForwardedHeadersMiddleware(app, parse_networks(forwarded_allow_ips))
        self.ping_interval = ping_interval
        self.sockets: set[NativeSocket] = set()
        self._sweep: asyncio.TimerHandle | None = None

    def __call__(self, scope: dict[str, Any], server_state: Any) -> NativeSocket:
        """The upgrade handler `parley.core.serving` calls for `/ws`."""
        realtime = realtime_of(self.app.state.runtime)
        scope = {**scope, "type": "websocket", "app": self.app}
        self.forwarded.resolve(scope)
        if self._sweep is None:
            self._schedule_sweep()
        return NativeSocket(self, realtime, scope, server_state)

    def _schedule_sweep(self) -> None:
        self._sweep = asyncio.get_running_loop().call_later(self.ping_interval, self._ping_quiet)

    def _ping_quiet(self) -> None:
        """A socket silent for a whole interval is pinged; silent for another, cut off."""
        self._sweep = None
        for sock in list(self.sockets):
            sock.keepalive_tick()
        if self.sockets:
            self._schedule_sweep()


class NativeSocket(asyncio.Protocol):
    """One `/ws` connection, from the handshake to the close."""

    __slots__ = (
        "_close_timer",
        "_context",
        "_frame_task",
        "_input_limit",
        "_open_task",
        "_reader",
        "_scope",
        "_writable",
        "close_sent",
        "conn",
        "failed",
        "gateway",
        "heard",
        "input_paused",
        "lost",
        "pinged",
        "realtime",
        "server_state",
        "session",
        "transport",
    )

    def __init__(
        self, gateway: NativeGateway, realtime: Realtime, scope: dict[str, Any], server_state: Any
    ) -> None:
        self.gateway = gateway
        self.realtime = realtime
        self.server_state = server_state
        self._scope: dict[str, Any] | None = scope
        max_frame = realtime.settings.ws_max_frame_bytes
        self._reader = FrameReader(max_frame)
        self._input_limit = max(INPUT_LIMIT, 2 * max_frame + 64)
        client = scope.get("client")
        self._context = contextvars.copy_context()
        self._context.run(current_address.set, client[0] if client else "")
        self.transport: asyncio.Transport | None = None
        self.conn: Connection | None = None
        self.session: handlers.Session | None = None
        self._open_task: asyncio.Task[None] | None = None
        self._frame_task: asyncio.Task[None] | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._writable: asyncio.Event | None = None
        self.close_sent = self.failed = self.input_paused = self.lost = self.pinged = False
        self.heard = True

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        assert self._scope is not None
        key = handshake_key(self._scope["headers"])
        if key is None or not _within_limits(self._scope):
            transport.write(BAD_HANDSHAKE)
            transport.close()
            return
        transport.write(switching_protocols(key))
        if log.isEnabledFor(logging.INFO):  # uvicorn's line for the ASGI path (queries scrubbed)
            client, query = self._scope.get("client"), self._scope["query_string"]
            target = self._scope["path"] + ("?" + query.decode("latin-1") if query else "")
            peer = f"{client[0]}:{client[1]}" if client else "-"
            log.info('%s - "WebSocket %s" [accepted]', peer, target)
        self.server_state.connections.add(self)
        self.gateway.sockets.add(self)
        self._open_task = asyncio.get_running_loop().create_task(
            self._open(), context=self._context
        )
        self._open_task.add_done_callback(self._opened)

    def _opened(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("opening a connection failed", exc_info=task.exception())
            self.close(1011, "internal error")  # e.g. `ready` met an unavailable database
        self._open_task = None  # an idle connection keeps no finished task

    def data_received(self, data: bytes) -> None:
        self.heard = True
        if self.failed:  # after a protocol violation the input is garbage: drop it
            return
        reader = self._reader
        reader.feed(data)
        if reader.buffered > self._input_limit and self.transport is not None:
            self.input_paused = True  # authenticating, or a frame is slow: TCP holds the rest
            self.transport.pause_reading()
        if self.session is None and not self.close_sent:
            return  # authenticating: frames wait for `ready`
        if self._frame_task is None:
            self._handle_frames()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._close_timer is not None:
            self._close_timer.cancel()
        if self._writable is not None:
            self._writable.set()
        self.server_state.connections.discard(self)
        self.gateway.sockets.discard(self)
        if self.session is not None:
            self.session.capacity.set()  # a frame waiting for send capacity ends now
        if self._open_task is not None and not self._open_task.done():
            self._open_task.cancel()  # nothing is registered before it ends
        elif self._frame_task is not None:
            self._frame_task.add_done_callback(lambda _: self._end())  # let the frame finish
        else:
            self._end()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.Event()
        self._writable.clear()

    def resume_writing(self) -> None:
        if self._writable is not None:
            self._writable.set()

    # -- uvicorn's server calls this on shutdown --------------------------------------------

    def shutdown(self) -> None:
        self.close(1001, "server shutting down")

    # -- the Wire interface `Connection` writes through -------------------------------------

    @property
    def open(self) -> bool:
        transport = self.transport
        return not (self.close_sent or self.lost or transport is None or transport.is_closing())

    def write(self, frame: bytes) -> int:
        transport = self.transport
        if transport is None or transport.is_closing():
            return 0
        transport.write(frame)
        return transport.get_write_buffer_size()

    def buffered(self) -> int:
        return 0 if self.transport is None else self.transport.get_write_buffer_size()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    async def drain(self) -> None:
        if self._writable is not None and not self.lost:
            await self._writable.wait()

    def close(self, code: int, reason: str = "", grace: float = 5.0) -> None:
        """Send a close frame behind what is buffered; the peer's answer ends the socket, or
        it is cut off after `grace` seconds."""
        transport = self.transport
        if self.close_sent or self.lost or transport is None or transport.is_closing():
            return
        self.close_sent = True
        transport.write(close_frame(code, reason))
        transport.resume_reading()  # to hear the peer's close frame
        self._close_timer = asyncio.get_running_loop().call_later(grace, transport.abort)

    # -- the conversation -------------------------------------------------------------------

    async def _open(self) -> None:
        scope, self._scope = self._scope, None  # the handshake is not needed after this
        assert scope is not None
        realtime = self.realtime
        try:
            principal = await authenticate_handshake(HTTPConnection(scope), realtime)
        except HandshakeRefused as refused:
            self.close(refused.code, refused.reason)
            return
        except Exception:
            log.exception("handshake failed")
            self.close(1011, "internal error")
            return
        conn = Connection(
            principal.id,
            principal.member.nickname,
            principal.session_id,
            self,
            _no_asgi_send,
            realtime.settings.ws_send_buffer_bytes,
        )
        session = handlers.Session(realtime, conn)
        await session.send_ready()  # `ready` is always the first frame a client gets
        if self.lost or self.close_sent:
            return
        self.conn, self.session = conn, session
        realtime.hub.add_connection(conn)
        realtime.presence.connected(conn.member_id)
        self._handle_frames()  # what came before `ready`; reading resumes once it is handled

    def _handle_frames(self) -> None:
        """Handle the complete frames received, in order, until one must wait."""
        session, reader = self.session, self._reader
        while not self.lost:
            try:
                frame = reader.next()
            except ProtocolViolation as violation:
                self._fail(violation.code, violation.reason)
                return
            if frame is None:
                self._resume_input()
                return
            opcode, payload = frame
            if opcode == CLOSE:
                self._peer_closed(payload)
                return
            if opcode == PING:
                self.write(control_frame(PONG, payload))
                continue
            if opcode == PONG or self.close_sent or session is None:
                continue  # after our close frame only the peer's close matters
            if opcode == BINARY:
                session.conn.send(
                    handlers.error_frame("binary_unsupported", "frames must be JSON text")
                )
                continue
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                self._fail(1007, "invalid UTF-8")
                return
            # one frame at a time, in order: the next waits until this one is handled
            self._frame_task = asyncio.get_running_loop().create_task(
                session.handle_text(text), context=self._context
            )
            self._frame_task.add_done_callback(self._frame_done)
            return

    def _resume_input(self) -> None:
        """Read again once the held input is handled (unless sends still wait to commit)."""
        if not self.input_paused or self.transport is None:
            return
        if self.session is not None and not self.session.capacity.is_set():
            return
        self.input_paused = False
        self.transport.resume_reading()

    async def _wait_for_capacity(self) -> None:
        """Too many sends await their commit: stop reading, so TCP slows the client down."""
        assert self.session is not None and self.transport is not None
        self.transport.pause_reading()
        await self.session.capacity.wait()
        if not self.lost and not self.input_paused:
            self.transport.resume_reading()

    def _frame_done(self, task: asyncio.Task[None]) -> None:
        self._frame_task = None
        if not task.cancelled() and task.exception() is not None:
            log.error("frame task failed", exc_info=task.exception())
        session = self.session
        if self.lost or session is None:
            return
        if not session.capacity.is_set():  # the frame that ended left too many sends pending
            self._frame_task = asyncio.get_running_loop().create_task(
                self._wait_for_capacity(), context=self._context
            )
            self._frame_task.add_done_callback(self._frame_done)
            return
        self._handle_frames()

    def _fail(self, code: int, reason: str) -> None:
        """RFC 6455 §7.1.7: send the close frame and end our side; what follows from the
        peer cannot be parsed, so its closing frame is not waited for."""
        self.failed = True
        self.close(code, reason)
        transport = self.transport
        if transport is not None and transport.can_write_eof() and not transport.is_closing():
            transport.write_eof()  # the peer reads our close frame, then the end of stream

    def _peer_closed(self, payload: bytes) -> None:
        transport = self.transport
        if transport is None:
            return
        if not self.close_sent:  # answer with the peer's code, then end the TCP connection
            self.close_sent = True
            code = close_code_of(payload)
            transport.write(close_frame(1000 if code in (1005, 1006) else code))
        transport.close()

    def keepalive_tick(self) -> None:
        if self.heard:
            self.heard, self.pinged = False, False
        elif not self.pinged:
            self.pinged = True
            self.write(control_frame(PING))
        elif self.transport is not None:
            self.transport.abort()  # silent through a ping and a whole interval

    def _end(self) -> None:
        conn, session = self.conn, self.session
        if conn is None or session is None:
            return
        self.conn = self.session = None
        end_session(self.realtime, conn, session)


def _within_limits(scope: dict[str, Any]) -> bool:
    """The line lengths websockets' own handshake parser allows (8 KiB each)."""
    if len(scope["query_string"]) > MAX_LINE_BYTES:
        return False
    return all(len(name) + len(value) <= MAX_LINE_BYTES for name, value in scope["headers"])


async def _no_asgi_send(message: dict[str, Any]) -> None:
    raise RuntimeError("the native path writes frames through the socket")  # pragma: no cover
