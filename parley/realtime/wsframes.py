"""RFC 6455 for the server side of `/ws`: the opening handshake and an incremental frame reader.

Only what the native gateway needs: text, binary and control frames from a client (masked),
fragmentation, and the limits a server must enforce. No extensions are negotiated (Parley
turns permessage-deflate off), so reserved bits must be zero. Unmasking uses websockets'
C speed-up.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Iterable

from websockets.speedups import apply_mask

from parley.realtime.wire import text_frame

__all__ = [
    "BINARY",
    "CLOSE",
    "PING",
    "PONG",
    "TEXT",
    "FrameReader",
    "ProtocolViolation",
    "accept_key",
    "close_frame",
    "control_frame",
    "handshake_key",
    "switching_protocols",
    "text_frame",
]

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA = (CONTINUATION, TEXT, BINARY)
_CONTROL = (CLOSE, PING, PONG)
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ProtocolViolation(Exception):
    """The peer broke RFC 6455: close with `code` (1002 protocol error, 1009 too big)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def handshake_key(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """The client's `Sec-WebSocket-Key` if the request is a valid version-13 upgrade."""
    key: bytes | None = None
    version = upgrade = connection = b""
    for name, value in headers:
        if name == b"sec-websocket-key":
            if key is not None:
                return None  # twice: not a valid handshake
            key = value.strip()
        elif name == b"sec-websocket-version":
            version = value.strip()
        elif name == b"upgrade":
            upgrade = value.lower()
        elif name == b"connection":
            connection += b"," + value.lower()
    if key is None or version != b"13" or b"websocket" not in upgrade:
        return None
    if b"upgrade" not in (token.strip() for token in connection.split(b",")):
        return None
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            return None
    except (binascii.Error, ValueError):
        return None
    return key


def accept_key(key: bytes) -> bytes:
    # RFC 6455 §4.2.2 fixes SHA-1 here; it proves the server read the key, nothing secret
    return base64.b64encode(hashlib.sha1(key + _GUID, usedforsecurity=False).digest())


def switching_protocols(key: bytes) -> bytes:
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
        b"sec-websocket-accept: " + accept_key(key) + b"\r\n\r\n"
    )


def control_frame(opcode: int, payload: bytes = b"") -> bytes:
    return bytes((0x80 | opcode, len(payload))) + payload


def close_frame(code: int, reason: str = "") -> bytes:
    encoded = reason.encode()[:123]  # a control frame's payload is at most 125 bytes
    return control_frame(CLOSE, struct.pack("!H", code) + encoded)


def close_code_of(payload: bytes) -> int:
    """The code a peer's close frame carries, or 1005 (none given)."""
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


class FrameReader:
    """Feed bytes, take complete messages: `(opcode, payload)` with fragments joined.

    Control frames come out as they arrive, even between the fragments of a message.
    """

    __slots__ = ("_buffer", "_fragments", "_fragments_size", "_kind", "max_size")

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = bytearray()
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._kind = 0  # opcode of the message being reassembled, 0 when none

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def next(self) -> tuple[int, bytes] | None:
        """The next complete message or control frame, None until more bytes arrive."""
        while True:
            frame = self._next_frame()
            if frame is None:
                return None
            fin, opcode, payload = frame
            if opcode in _CONTROL:
                return opcode, payload
            if opcode == CONTINUATION:
                if not self._kind:
                    raise ProtocolViolation(1002, "continuation without a message")
            elif self._kind:
                raise ProtocolViolation(1002, "a new message inside a fragmented one")
            else:
                self._kind = opcode
                if fin:
                    self._kind = 0
                    return opcode, payload
            self._fragments.append(payload)
            self._fragments_size += len(payload)
            if self._fragments_size > self.max_size:
                raise ProtocolViolation(1009, "message too big")
            if fin:
                kind, self._kind = self._kind, 0
                joined = b"".join(self._fragments)
                self._fragments, self._fragments_size = [], 0
                return kind, joined

    def _next_frame(self) -> tuple[bool, int, bytes] | None:
        buffer = self._buffer
        available = len(buffer)
        if available < 2:
            return None
        first, second = buffer[0], buffer[1]
        if first & 0x70:
            raise ProtocolViolation(1002, "reserved bits set")
        opcode = first & 0x0F
        if opcode not in _DATA and opcode not in _CONTROL:
            raise ProtocolViolation(1002, "unknown opcode")
        fin = bool(first & 0x80)
        if not second & 0x80:
            raise ProtocolViolation(1002, "client frames must be masked")
        size = second & 0x7F
        start = 2
        if opcode in _CONTROL and (size > 125 or not fin):
            raise ProtocolViolation(1002, "bad control frame")
        if size == 126:
            if available < 4:
                return None
            size = struct.unpack_from("!H", buffer, 2)[0]
            start = 4
        elif size == 127:
            if available < 10:
                return None
            size = struct.unpack_from("!Q", buffer, 2)[0]
            start = 10
        if size > self.max_size:
            raise ProtocolViolation(1009, "frame too big")
        end = start + 4 + size
        if available < end:
            return None
        mask = bytes(buffer[start : start + 4])
        payload = apply_mask(bytes(buffer[start + 4 : end]), mask)
        del buffer[:end]
        return fin, opcode, payload
