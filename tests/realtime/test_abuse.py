"""Calls honour blocks; call, read and other frames have budgets; flooding closes with 4008.

The budget tests run on a server of their own with small limits (docs/protocol.md, "Limits"):
past a budget a frame is refused `rate_limited` and the connection goes on; a client that
keeps going (50 such refusals within about 10 s) is closed with 4008.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.live import FAST_ENV, server_client, server_process_fixture
from tests.support.server import ServerProcess
from tests.support.ws import Frame, Server, WsClient

LIMITS = {
    "PARLEY_CALL_RATE": "2",
    "PARLEY_CALL_BURST": "10",
    "PARLEY_READ_RATE": "2",
    "PARLEY_READ_BURST": "10",
    "PARLEY_SEND_RATE": "2",
    "PARLEY_SEND_BURST": "10",
    "PARLEY_WS_FRAME_RATE": "20",
    "PARLEY_WS_FRAME_BURST": "100",
}


limited_process = server_process_fixture("limits", {**FAST_ENV, **LIMITS}, scope="module")


@pytest.fixture
async def limited(limited_process: ServerProcess) -> AsyncIterator[Server]:
    async with server_client(limited_process) as server:
        yield server


async def _flood(client: WsClient, frames: list[dict[str, Any]]) -> None:
    for frame in frames:
        try:
            await client.send(frame)
        except ConnectionClosed:
            return


async def _until_closed(client: WsClient, timeout: float = 30) -> tuple[list[Frame], int | None]:
    """Every frame until the server closes the socket, and the close code."""
    got = list(client.unread)
    try:
        while True:
            got.append(await client.recv(timeout))
    except ConnectionClosed as closed:
        return got, closed.rcvd.code if closed.rcvd is not None else None


def _errors(frames: list[Frame], code: str) -> list[Frame]:
    return [f for f in frames if f["type"] == "error" and f["code"] == code]


async def test_calls_between_a_blocked_pair_are_refused_both_ways(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a, b = await server.connect(alice), await server.connect(bob)
    blocked = await server.http.post(f"/me/blocks/{bob.id}", headers=alice.headers)
    assert blocked.status_code == 201, blocked.text
    for caller, callee in ((b, alice), (a, bob)):
        await caller.send({"type": "call", "room_id": room, "to": callee.id, "action": "request"})
        assert (await caller.expect("error"))["code"] == "blocked"
    unblocked = await server.http.delete(f"/me/blocks/{bob.id}", headers=alice.headers)
    assert unblocked.status_code == 204, unblocked.text
    await b.send({"type": "call", "room_id": room, "to": alice.id, "action": "request"})
    got = await a.expect("call", room_id=room)
    assert got["from"] == bob.id
    # nothing of the refused calls got through
    assert len([f for f in a.frames if f["type"] == "call"]) == 1
    assert not [f for f in b.frames if f["type"] == "call"]


async def test_calls_are_rate_limited_and_a_call_flood_closes_with_4008(limited: Server) -> None:
    alice, bob = await limited.member(), await limited.member()
    room = await limited.room(alice, bob)
    a, b = await limited.connect(alice), await limited.connect(bob)
    ice = {"type": "call", "room_id": room, "to": bob.id, "action": "ice", "data": {"c": "x"}}
    await _flood(a, [ice] * 16)  # over the burst of 10: refused, the connection goes on
    await a.send({"type": "ping", "id": "after the burst"})
    await a.expect("pong", id="after the burst")
    limited_calls = _errors(a.unread, "rate_limited")
    assert 3 <= len(limited_calls) <= 6, a.unread
    await _flood(a, [ice] * 200)
    frames, code = await _until_closed(a)
    assert code == 4008
    assert len(_errors(frames, "rate_limited")) >= 40
    relayed = [f for f in await _until_quiet(b) if f["type"] == "call"]
    assert 10 <= len(relayed) <= 30, len(relayed)  # the burst and what refilled, not 216


async def _until_quiet(client: WsClient, quiet: float = 1.0) -> list[Frame]:
    frames = list(client.unread)
    try:
        while True:
            frames.append(await client.recv(quiet))
    except TimeoutError:
        return frames


async def test_a_read_flood_is_refused_then_closed_with_4008(limited: Server) -> None:
    alice = await limited.member()
    room = await limited.room(alice)
    a = await limited.connect(alice)
    await _flood(a, [{"type": "read", "room_id": room, "seq": 0}] * 200)
    frames, code = await _until_closed(a)
    assert code == 4008
    assert len(_errors(frames, "rate_limited")) >= 40


async def test_a_send_flood_is_closed_with_4008(limited: Server) -> None:
    alice = await limited.member()
    room = await limited.room(alice)
    a = await limited.connect(alice)
    frames = [
        {"type": "send", "room_id": room, "client_msg_id": f"f{i}", "body": "spam"}
        for i in range(200)
    ]
    await _flood(a, frames)
    got, code = await _until_closed(a)
    assert code == 4008
    assert len([f for f in got if f["type"] == "ack"]) <= 30


async def test_a_flood_of_any_frame_is_closed_with_4008(limited: Server) -> None:
    """Pings need no database and have no budget of their own: the connection's does."""
    alice = await limited.member()
    a = await limited.connect(alice)
    await _flood(a, [{"type": "ping", "id": i} for i in range(1000)])
    frames, code = await _until_closed(a)
    assert code == 4008
    pongs = [f for f in frames if f["type"] == "pong"]
    assert 100 <= len(pongs) < 1000
    assert len(_errors(frames, "rate_limited")) >= 40
    # a fresh connection of the same member is served again
    again = await limited.connect(alice)
    await again.send({"type": "ping", "id": "fresh"})
    await again.expect("pong", id="fresh")
