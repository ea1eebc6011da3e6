"""Both `/ws` paths speak the same protocol: the native one `parley serve` uses and the ASGI
one other servers get (`PARLEY_WS_NATIVE=false`). Each test runs against both."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from tests.realtime.conftest import start_dedicated
from tests.support.live import server_client
from tests.support.server import ServerProcess
from tests.support.ws import Server


@pytest.fixture(scope="module", params=["native", "asgi"])
def path_process(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    process = start_dedicated(
        tmp_path_factory.mktemp(request.param),
        PARLEY_WS_NATIVE="true" if request.param == "native" else "false",
        PARLEY_WS_MAX_PENDING_SENDS="2",
        PARLEY_WS_FRAME_RATE="100000",
        PARLEY_WS_FRAME_BURST="100000",
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def server(path_process: ServerProcess) -> AsyncIterator[Server]:
    async with server_client(path_process) as client:
        yield client


async def test_frames_sent_before_ready_are_handled_after_it_in_order(server: Server) -> None:
    member = await server.member()
    room = await server.room(member)
    client = await server.connect_raw(member)
    await client.send({"type": "subscribe", "room_id": room})
    await client.send({"type": "send", "room_id": room, "client_msg_id": "early", "body": "hi"})
    frames = [await client.recv() for _ in range(4)]
    assert [f["type"] for f in frames[:2]] == ["ready", "subscribed"]
    assert {f["type"] for f in frames[2:]} == {"ack", "message"}
    assert all(f["client_msg_id"] == "early" for f in frames[2:])


async def test_a_fragmented_text_frame_is_one_message(server: Server) -> None:
    member = await server.member()
    room = await server.room(member)
    client = await server.connect(member)
    await client.subscribe(room)
    text = json.dumps({"type": "send", "room_id": room, "client_msg_id": "frag", "body": "조각"})
    await client.conn.send(iter([text[:10], text[10:25], text[25:]]))
    got = await client.expect("message", room_id=room, client_msg_id="frag")
    assert got["body"] == "조각"


async def test_pings_are_answered_and_a_client_close_is_echoed(server: Server) -> None:
    member = await server.member()
    client = await server.connect(member)
    pong = await client.conn.ping(b"still there?")
    await asyncio.wait_for(pong, 5)
    await client.conn.close(1000, "bye")
    protocol = client.conn.protocol
    assert protocol.close_rcvd is not None and protocol.close_rcvd.code == 1000
    assert protocol.close_rcvd_then_sent is False  # ours went first, the server echoed it


async def test_pipelined_sends_past_the_pending_limit_are_all_stored_in_order(
    server: Server,
) -> None:
    # two sends may await their commit; the other 48 wait in TCP while reading is paused
    member = await server.member()
    room = await server.room(member)
    client = await server.connect(member)
    await client.subscribe(room)
    ids = [f"p{i}" for i in range(50)]
    for cmid in ids:
        await client.send({"type": "send", "room_id": room, "client_msg_id": cmid, "body": cmid})
    messages = await client.messages(room, 50, timeout=30)
    assert [m["client_msg_id"] for m in messages] == ids
    seqs = [m["seq"] for m in messages]
    assert seqs == sorted(seqs) and len(set(seqs)) == 50


async def test_bad_frames_get_the_same_answers(server: Server) -> None:
    member = await server.member()
    client = await server.connect(member)
    await client.conn.send(b"\x00binary")
    assert (await client.expect("error"))["code"] == "binary_unsupported"
    await client.send("{not json")
    assert (await client.expect("error"))["code"] == "malformed_frame"
    big = await server.connect(member, max_size=None)
    await big.send("x" * 70_000)
    with pytest.raises(ConnectionClosed) as closed:
        await big.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    refused = await server.connect_raw(None)
    with pytest.raises(ConnectionClosed) as closed:
        await refused.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


async def test_a_burst_larger_than_the_input_buffer_is_answered_whole_and_in_order(
    server: Server,
) -> None:
    # ~460 KB in one go: the native path pauses reading past 256 KiB of unhandled input and
    # must resume by itself, losing and reordering nothing
    member = await server.member()
    client = await server.connect(member)
    ids = [f"{i:06d}" + "x" * 58 for i in range(4000)]
    frames = [json.dumps({"type": "ping", "id": ping_id}) for ping_id in ids]
    protocol = client.conn.protocol  # framed here and written at once: it arrives in bulk
    for frame in frames:
        protocol.send_text(frame.encode())
    client.conn.transport.write(b"".join(protocol.data_to_send()))
    pongs = [await client.recv(timeout=30) for _ in ids]
    assert [p["type"] for p in pongs] == ["pong"] * len(ids)
    assert [p["id"] for p in pongs] == ids
