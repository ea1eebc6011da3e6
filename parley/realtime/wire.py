"""Server-side WebSocket wire access: pre-framed writes straight to the socket.

`FastWebSocketProtocol` is uvicorn's sans-I/O WebSocket protocol with two changes: it exposes a
`parley.wire` scope extension through which the gateway writes ready-made frames to the
transport (a broadcast is framed once, then each recipient costs one `transport.write`), and it
closes with 1001 (going away) when the server shuts down.
"""

from __future__ import annotations

import struct
from typing import Any, Protocol, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

WIRE_EXTENSION = "parley.wire"
BAD_HANDSHAKE = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def text_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented WebSocket text frame (RFC 6455 §5.2) holding `payload`."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65_536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


class FrameSink(Protocol):
    """What `Connection` writes through: `Wire` (ASGI path) or a `NativeSocket`."""

    def write(self, frame: bytes) -> int:
        """Write a complete frame; returns the bytes now waiting in the send buffer."""
        ...

    async def drain(self) -> None: ...

    def close(self, code: int, reason: str = "", grace: float = 5.0) -> None: ...


class Wire:
    """Direct access to one connection's transport, valid while the socket is open."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: FastWebSocketProtocol) -> None:
        self._protocol = protocol

    @property
    def open(self) -> bool:
        protocol = self._protocol
        return (
            protocol.handshake_complete
            and not protocol.close_sent
            and not protocol.disconnected
            and not protocol.transport.is_closing()
        )

    def write(self, frame: bytes) -> int:
        """Write a complete frame; returns the bytes now waiting in the send buffer."""
        transport = self._protocol.transport
        if transport.is_closing():  # the peer left; the connection hears of it next
            return 0
        transport.write(frame)
        return transport.get_write_buffer_size()

    def release_handshake(self) -> None:
        """Drop the parsed handshake (request, response) once the connection is accepted."""
        protocol = self._protocol
        protocol.request = None  # type: ignore[assignment]
        protocol.response = None  # type: ignore[assignment]

    def buffered(self) -> int:
        return self._protocol.transport.get_write_buffer_size()

    def abort(self) -> None:
        """Drop the connection without waiting for buffered data (a stalled peer)."""
        self._protocol.transport.abort()

    async def drain(self) -> None:
        """Wait until the transport's buffer is below its high-water mark."""
        await self._protocol.writable.wait()

    def close(self, code: int, reason: str = "", grace: float = 5.0) -> None:
        """Queue a close frame behind what is buffered and end the ASGI conversation.

        The socket stays open for the peer's closing frame (closing it with unread input
        would reset the connection and lose our close code); a peer that does not answer
        within `grace` seconds is cut off.
        """
        protocol = self._protocol
        if protocol.close_sent or protocol.disconnected:
            return
        protocol.stop_keepalive()
        protocol.queue.put_nowait({"type": "websocket.disconnect", "code": code})
        protocol.conn.send_close(code, reason)
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))
        protocol.close_sent = True
        if protocol.read_paused:
            protocol.read_paused = False
            protocol.transport.resume_reading()
        protocol.close_timer = protocol.loop.call_later(grace, protocol.transport.abort)


class FastWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if hasattr(self, "scope"):
            extensions = cast(dict[str, Any], self.scope["extensions"])
            extensions[WIRE_EXTENSION] = Wire(self)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self.handshake_initiated and self.conn.handshake_exc is not None:
            # an unparseable handshake (e.g. an over-long request line): websockets records
            # it silently and uvicorn would leave the socket open forever
            self.transport.write(BAD_HANDSHAKE)
            self.transport.close()

    def shutdown(self) -> None:
        """Tell clients we are going away (1001) rather than uvicorn's 1012."""
        if self.handshake_complete and not self.close_sent and not self.disconnected:
            Wire(self).close(1001, "server shutting down")
            return
        super().shutdown()
