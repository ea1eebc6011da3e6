"""One client connection: who it is, what it subscribes to, and its bounded outbound path."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from parley.realtime.wire import FrameSink

log = logging.getLogger("parley.realtime")

CLOSE_TOO_SLOW = 4009
ABORT_AFTER_CLOSE_SECONDS = 5.0

AsgiSend = Callable[[dict[str, Any]], Awaitable[None]]


class Connection:
    """Writes go straight to the socket (a `FrameSink`) or, without it, through a bounded queue.

    Either way the bound is hard: a client whose backlog passes it is closed with 4009 and
    resumes on reconnect, so one slow reader never holds memory or delays anyone else.
    """

    __slots__ = (
        "_asgi_send",
        "_closer",
        "_held",
        "_queue",
        "_space",
        "_writer",
        "buffer_limit",
        "closed",
        "member_id",
        "nickname",
        "on_close",
        "rooms",
        "session_id",
        "wire",
    )

    def __init__(
        self,
        member_id: int,
        nickname: str,
        session_id: str,
        wire: FrameSink | None,
        asgi_send: AsgiSend,
        buffer_limit: int,
        queue_limit: int = 1024,
    ) -> None:
        self.member_id = member_id
        self.nickname = nickname
        self.session_id = session_id
        self.wire = wire
        self.buffer_limit = buffer_limit
        self._asgi_send = asgi_send
        self.closed = False
        #: room ids this connection is subscribed to (live or replaying)
        self.rooms: set[int] = set()
        self.on_close: Callable[[Connection], None] | None = None
        self._queue: asyncio.Queue[bytes] | None = None
        #: frames held back while corked, written together when the cork is pulled
        self._held: list[bytes] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._space: asyncio.Event | None = None
        if wire is None:
            self._space = asyncio.Event()
            self._space.set()
            self._queue = asyncio.Queue(queue_limit)
            self._writer = asyncio.create_task(self._drain_queue())

    def write(self, frame: bytes) -> None:
        """Send a ready-made WebSocket frame (the broadcast hot path)."""
        if self.closed:
            return
        if _cork.depth:
            held = self._held
            if held is None:
                self._held = [frame]
                _cork.held.append(self)
            else:
                held.append(frame)
            return
        self._write_now(frame)

    def _write_now(self, frame: bytes) -> None:
        wire = self.wire
        _cork.writes += 1
        if wire is not None:
            if wire.write(frame) > self.buffer_limit:
                self.close(CLOSE_TOO_SLOW, "too slow: outbound buffer full")
            return
        self._enqueue(frame)

    def send(self, frame: dict[str, Any]) -> None:
        """Send one frame made for this connection only."""
        from parley.realtime.wire import text_frame

        self.write(text_frame(orjson.dumps(frame)))

    async def drain(self) -> None:
        """Wait for room in the outbound path (used while replaying history)."""
        if self.wire is not None:
            await self.wire.drain()
        elif self._queue is not None and self._queue.qsize() > self._queue.maxsize // 2:
            assert self._space is not None
            self._space.clear()
            await self._space.wait()

    def close(self, code: int, reason: str = "") -> None:
        if self.closed:
            return
        self._release()  # frames held by a cork go out before the close frame
        if self.closed:  # writing them found the peer too slow and closed already
            return
        self.closed = True
        if self.on_close is not None:
            asyncio.get_running_loop().call_soon(self.on_close, self)
        if self.wire is not None:
            self.wire.close(code, reason, ABORT_AFTER_CLOSE_SECONDS)
        else:
            self._closer = asyncio.create_task(self._asgi_close(code, reason))

    # -- fallback path (no direct wire access, e.g. another ASGI server) ---------------------

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is None or self.closed:
            return
        if len(held) == 1 or self.wire is None:
            for frame in held:
                self._write_now(frame)
        else:
            self._write_now(b"".join(held))

    def _enqueue(self, frame: bytes) -> None:
        assert self._queue is not None
        try:
            self._queue.put_nowait(_payload_of(frame))
        except asyncio.QueueFull:
            self.close(CLOSE_TOO_SLOW, "too slow: outbound queue full")

    async def _drain_queue(self) -> None:
        assert self._queue is not None
        while True:
            payload = await self._queue.get()
            if self._space is not None and self._queue.qsize() <= self._queue.maxsize // 2:
                self._space.set()
            try:
                await self._asgi_send({"type": "websocket.send", "text": payload.decode()})
            except Exception:  # the peer went away; the receive loop cleans up
                return

    async def _asgi_close(self, code: int, reason: str) -> None:
        if self._writer is not None:
            self._writer.cancel()
        with contextlib.suppress(Exception):
            await self._asgi_send({"type": "websocket.close", "code": code, "reason": reason})

    def stop(self) -> None:
        """Release the fallback writer task when the connection ends."""
        self.closed = True
        if self._space is not None:
            self._space.set()
        if self._writer is not None:
            self._writer.cancel()


class _Cork:
    __slots__ = ("depth", "held", "writes")

    def __init__(self) -> None:
        self.depth = 0
        self.held: list[Connection] = []
        #: writes to connections since start (for /metrics: frames per write shows the cork)
        self.writes = 0


_cork = _Cork()


def writes_made() -> int:
    """Writes to WebSocket connections by this process so far (one per system call on the
    native path, however many frames a cork joined)."""
    return _cork.writes


def cork_this_turn() -> None:
    """Hold every connection's frames until the callbacks the event loop has queued so far
    have run, then write each connection's in one go.

    A batch of committed messages then costs one system call per recipient, not one per
    message and recipient; and the acks, which the batch's futures queued as callbacks just
    before, go in the same write as the sender's own copy of the message. The pull is itself
    a queued callback, so it happens whatever the code in between raises.
    """
    _cork.depth += 1
    asyncio.get_running_loop().call_soon(_pull_cork)


def _pull_cork() -> None:
    _cork.depth -= 1
    if not _cork.depth:
        held, _cork.held = _cork.held, []
        for conn in held:
            conn._release()


def _payload_of(frame: bytes) -> bytes:
    """The payload of a frame made by `text_frame` (fallback path only)."""
    size = frame[1] & 0x7F
    return frame[2 + (0 if size < 126 else 2 if size == 126 else 8) :]
