"""The native gateway's RFC 6455 reader, on real bytes framed by websockets' own client code."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode

from parley.realtime.wsframes import (
    BINARY,
    CLOSE,
    PING,
    TEXT,
    FrameReader,
    ProtocolViolation,
    accept_key,
    close_code_of,
    close_frame,
    handshake_key,
)

OP_BINARY, OP_CONT, OP_PING, OP_TEXT = Opcode.BINARY, Opcode.CONT, Opcode.PING, Opcode.TEXT


def client_bytes(frame: Frame) -> bytes:
    """What a client puts on the wire: masked, as RFC 6455 requires."""
    return frame.serialize(mask=True)


def read_all(reader: FrameReader) -> list[tuple[int, bytes]]:
    out = []
    while (item := reader.next()) is not None:
        out.append(item)
    return out


def test_the_accept_key_of_the_rfc_6455_example() -> None:
    assert accept_key(b"dGhlIHNhbXBsZSBub25jZQ==") == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_handshake_key_requires_a_version_13_upgrade() -> None:
    good = [
        (b"upgrade", b"websocket"),
        (b"connection", b"keep-alive, Upgrade"),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    ]
    assert handshake_key(good) == b"dGhlIHNhbXBsZSBub25jZQ=="
    assert handshake_key([h for h in good if h[0] != b"connection"]) is None
    assert handshake_key([*good[:2], (b"sec-websocket-version", b"8"), good[3]]) is None
    assert handshake_key([*good[:3], (b"sec-websocket-key", b"short")]) is None
    assert handshake_key([*good, (b"sec-websocket-key", good[3][1])]) is None  # twice


@given(
    st.lists(st.binary(max_size=300), min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=30),
)
def test_any_split_of_the_stream_gives_the_same_messages(
    bodies: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(client_bytes(Frame(OP_BINARY, body)) for body in bodies)
    reader = FrameReader(max_size=1024)
    got: list[tuple[int, bytes]] = []
    position = 0
    for cut in cuts * (len(stream) // max(1, sum(cuts)) + 1):
        reader.feed(stream[position : position + cut])
        position += cut
        got += read_all(reader)
        if position >= len(stream):
            break
    reader.feed(stream[position:])
    got += read_all(reader)
    assert got == [(BINARY, body) for body in bodies]


def test_fragments_are_joined_and_control_frames_pass_between_them() -> None:
    reader = FrameReader(max_size=1024)
    reader.feed(client_bytes(Frame(OP_TEXT, "안녕".encode(), fin=False)))
    reader.feed(client_bytes(Frame(OP_PING, b"are you there")))
    reader.feed(client_bytes(Frame(OP_CONT, b", ", fin=False)))
    reader.feed(client_bytes(Frame(OP_CONT, b"world")))
    assert read_all(reader) == [(PING, b"are you there"), (TEXT, "안녕, world".encode())]


def test_lengths_of_16_and_64_bits() -> None:
    reader = FrameReader(max_size=200_000)
    medium, large = os.urandom(300), os.urandom(70_000)
    reader.feed(client_bytes(Frame(OP_BINARY, medium)) + client_bytes(Frame(OP_BINARY, large)))
    assert read_all(reader) == [(BINARY, medium), (BINARY, large)]


VIOLATIONS = {
    "too big": (Frame(OP_TEXT, b"x" * 2000).serialize(mask=True), 1009),
    "unmasked": (b"\x81\x05hello", 1002),
    "RSV1 without an extension": (b"\xc1\x80" + b"\x00" * 4, 1002),
    "reserved opcode 3": (b"\x83\x80" + b"\x00" * 4, 1002),
    "fragmented ping": (b"\x09\x80" + b"\x00" * 4, 1002),
    "continuation of nothing": (Frame(OP_CONT, b"orphan").serialize(mask=True), 1002),
    "ping over 125 bytes": (b"\x89\xfe" + struct.pack("!H", 126) + b"\x00" * 130, 1002),
}


# ids by name: masked frames differ per run, and xdist workers must collect the same tests
@pytest.mark.parametrize(("data", "code"), list(VIOLATIONS.values()), ids=list(VIOLATIONS))
def test_violations_name_their_close_code(data: bytes, code: int) -> None:
    reader = FrameReader(max_size=1024)
    reader.feed(data)
    with pytest.raises(ProtocolViolation) as violation:
        read_all(reader)
    assert violation.value.code == code


def test_fragments_together_over_the_limit_are_refused() -> None:
    reader = FrameReader(max_size=1024)
    for _ in range(3):
        reader.feed(client_bytes(Frame(OP_TEXT if _ == 0 else OP_CONT, b"y" * 500, fin=False)))
    with pytest.raises(ProtocolViolation) as violation:
        read_all(reader)
    assert violation.value.code == 1009


def test_a_new_message_inside_a_fragmented_one_is_refused() -> None:
    reader = FrameReader(max_size=1024)
    reader.feed(client_bytes(Frame(OP_TEXT, b"a", fin=False)))
    reader.feed(client_bytes(Frame(OP_TEXT, b"b")))
    with pytest.raises(ProtocolViolation):
        read_all(reader)


def test_close_frames_carry_a_code_and_a_bounded_reason() -> None:
    frame = close_frame(4009, "x" * 500)
    assert frame[0] == 0x80 | CLOSE and frame[1] <= 125
    assert close_code_of(frame[2:]) == 4009
    assert close_code_of(b"") == 1005
