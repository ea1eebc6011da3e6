"""Guarantee 7 and the limits: bad frames get an error or the right close code, never harm."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from tests.realtime.conftest import start_dedicated
from tests.support.server import ServerProcess
from tests.support.ws import Member, Server, WsClient

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
frame_types = st.sampled_from(
    ["subscribe", "unsubscribe", "send", "typing", "read", "call", "ping", "nope", "", "SEND"]
)
field_names = st.sampled_from(
    [
        "room_id",
        "after_seq",
        "client_msg_id",
        "body",
        "to",
        "attachments",
        "seq",
        "action",
        "data",
        "id",
    ]
)
frames = st.one_of(
    st.builds(
        lambda t, fields: {"type": t, **fields},
        frame_types,
        st.dictionaries(field_names, json_values, max_size=5),
    ),
    json_values,
)


_fuzz_member: list[tuple[Member, int]] = []


def _outcome_of(client_msg_id: str) -> Callable[[dict[str, Any]], bool]:
    """Matches the ack or the error answering one send."""

    def matches(frame: dict[str, Any]) -> bool:
        ref = frame.get("client_msg_id", frame.get("ref"))
        return ref == client_msg_id and frame["type"] in ("ack", "error")

    return matches


async def assert_still_serving(client: WsClient, room: int, marker: str) -> None:
    """The connection's state survived: pings answer and the subscription still delivers."""
    await client.send({"type": "ping", "id": marker})
    await client.expect("pong", id=marker)
    cmid = await client.send_message(room, f"alive {marker}")
    await client.expect("ack", client_msg_id=cmid)
    await client.expect("message", room_id=room, client_msg_id=cmid)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(frames | st.text(max_size=200), min_size=1, max_size=8))
def test_fuzzed_frames_get_errors_and_leave_the_connection_usable(
    server_process: ServerProcess, batch: list[object]
) -> None:
    async def run() -> None:
        server = Server(server_process.base_url)
        try:
            if not _fuzz_member:
                member = await server.member()
                _fuzz_member.append((member, await server.room(member)))
            member, room = _fuzz_member[0]
            client = await server.connect(member)
            await client.subscribe(room)
            for item in batch:
                await client.send(item if isinstance(item, str) else json.dumps(item))
            await assert_still_serving(client, room, "after-fuzz")
            for frame in client.frames:
                if frame["type"] == "error":
                    assert isinstance(frame["code"], str) and frame["code"]
            await client.close()
        finally:
            await server.close()

    asyncio.run(run())


async def test_specific_bad_frames_get_specific_errors(server: Server) -> None:
    member = await server.member()
    room = await server.room(member)
    client = await server.connect(member)
    await client.subscribe(room)
    cases: list[tuple[object, str]] = [
        ("{not json", "malformed_frame"),
        ("[1, 2]", "malformed_frame"),
        ('"just a string"', "malformed_frame"),
        ({"no": "type"}, "unknown_type"),
        ({"type": "teleport"}, "unknown_type"),
        ({"type": "subscribe", "room_id": "1"}, "invalid_field"),
        ({"type": "subscribe", "room_id": True}, "invalid_field"),
        ({"type": "subscribe", "room_id": 10**30}, "invalid_field"),
        ({"type": "subscribe", "room_id": -1}, "invalid_field"),
        ({"type": "subscribe", "room_id": room, "after_seq": 1.5}, "invalid_field"),
        ({"type": "send", "room_id": room, "client_msg_id": "a", "body": ""}, "empty_body"),
        (
            {"type": "send", "room_id": room, "client_msg_id": "b", "body": "\x00\x07 "},
            "empty_body",
        ),
        (
            {"type": "send", "room_id": room, "client_msg_id": "c", "body": "x" * 4001},
            "body_too_long",
        ),
        ({"type": "send", "room_id": room, "client_msg_id": "d", "body": 5}, "invalid_field"),
        ({"type": "send", "room_id": room, "client_msg_id": "", "body": "x"}, "invalid_field"),
        (
            {"type": "send", "room_id": room, "client_msg_id": "e" * 65, "body": "x"},
            "invalid_field",
        ),
        ({"type": "send", "room_id": room, "client_msg_id": "f\n", "body": "x"}, "invalid_field"),
        ({"type": "read", "room_id": room, "seq": "1"}, "invalid_field"),
        ({"type": "ping", "id": {"a": 1}}, "invalid_field"),
        ({"type": "call", "room_id": room, "to": member.id, "action": "offer"}, "invalid_target"),
    ]
    for frame, code in cases:
        await client.send(frame if isinstance(frame, str) else json.dumps(frame))
        error = await client.expect("error")
        assert error["code"] == code, (frame, error)
    # bodies are trimmed of control characters, newlines and tabs survive
    cmid = await client.send_message(room, "\x00 line one\n\tline two \x1b")
    got = await client.expect("message", room_id=room, client_msg_id=cmid)
    assert got["body"] == "line one\n\tline two"
    sql = "'; DROP TABLE messages; --"
    cmid = await client.send_message(room, sql)
    assert (await client.expect("message", room_id=room, client_msg_id=cmid))["body"] == sql
    await client.conn.send(b"\x00\x01binary")
    assert (await client.expect("error"))["code"] == "binary_unsupported"
    await assert_still_serving(client, room, "after-cases")


async def test_an_oversize_frame_closes_with_1009(server: Server) -> None:
    member = await server.member()
    room = await server.room(member)
    client = await server.connect(member, max_size=None)
    await client.send(
        {"type": "send", "room_id": room, "client_msg_id": "big", "body": "x" * 70_000}
    )
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert (await server.http.get(server.base_url + "/healthz")).status_code == 200
    assert await server.history(member, room, after_seq=0) == []


async def test_invalid_utf8_in_a_text_frame_closes_with_1007(server: Server) -> None:
    member = await server.member()
    client = await server.connect(member)
    protocol = client.conn.protocol
    protocol.send_text(b'{"type": "ping", "id": "\xff\xfe"}')
    client.conn.transport.write(b"".join(protocol.data_to_send()))
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007


async def test_send_rate_limit_refuses_and_stores_nothing_extra(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # One token a second: the test's own pace on a loaded machine adds at most a few.
    process = start_dedicated(
        tmp_path_factory.mktemp("rate"), PARLEY_SEND_RATE="1", PARLEY_SEND_BURST="20"
    )
    server = Server(process.base_url)
    try:
        member = await server.member()
        room = await server.room(member)
        client = await server.connect(member)
        started = time.monotonic()
        ids = [await client.send_message(room, f"m{i}") for i in range(30)]
        outcomes = [await client.next_matching(_outcome_of(c)) for c in ids]
        refilled = int(time.monotonic() - started) + 1
        acked = [o for o in outcomes if o["type"] == "ack"]
        limited = [o for o in outcomes if o["type"] == "error"]
        assert all(o["code"] == "rate_limited" for o in limited)
        assert 20 <= len(acked) <= 20 + refilled and len(limited) == 30 - len(acked)
        stored = [m for m in await server.history(member, room, limit=100) if m["kind"] == "text"]
        assert sorted(m["client_msg_id"] for m in stored) == sorted(
            a["client_msg_id"] for a in acked
        )
        # HTTP draws on the same bucket: at one token a second, ten quick posts meet a refusal.
        answers = []
        for i in range(10):
            answers.append(
                await server.http.post(
                    f"/rooms/{room}/messages",
                    json={"body": "bot", "client_msg_id": f"h{i}"},
                    headers=member.headers,
                )
            )
            if answers[-1].status_code == 429:
                break
        http = answers[-1]
        assert http.status_code == 429
        assert http.json()["code"] == "rate_limited"
        assert "retry-after" in http.headers
        assert all(a.status_code == 201 for a in answers[:-1])
        await asyncio.sleep(float(http.headers["retry-after"]) + 0.2)
        cmid = await client.send_message(room, "later")
        assert (
            await client.next_matching(
                lambda f: f.get("client_msg_id") == cmid or f.get("ref") == cmid
            )
        )["type"] == "ack"
    finally:
        await server.close()
        process.stop()


async def test_sigterm_closes_connections_with_1001_and_exits_promptly(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    process = start_dedicated(tmp_path_factory.mktemp("term"), PARLEY_SHUTDOWN_GRACE_SECONDS="5")
    server = Server(process.base_url)
    try:
        member = await server.member()
        room = await server.room(member)
        clients = [await server.connect(member) for _ in range(3)]
        for client in clients:
            await client.subscribe(room)
        started = time.monotonic()
        process.process.send_signal(signal.SIGTERM)
        for client in clients:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await client.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        exit_code = await asyncio.to_thread(process.process.wait, 15)
        # uvicorn re-raises the captured SIGTERM once its graceful shutdown is complete
        assert exit_code in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in process.log()
        assert time.monotonic() - started < 10
    finally:
        await server.close()
        process.stop()


async def test_heartbeats_drop_a_peer_that_stopped_answering(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    process = start_dedicated(
        tmp_path_factory.mktemp("ping"),
        PARLEY_WS_PING_INTERVAL_SECONDS="0.5",
        PARLEY_PRESENCE_GRACE_SECONDS="0.2",
    )
    server = Server(process.base_url)
    try:
        alice, bob = await server.member(), await server.member()
        room = await server.room(alice, bob)
        watcher = await server.connect(alice)
        await watcher.subscribe(room)
        # bob's client answers no pings (its own keepalive off, and it stops reading)
        dead = await server.connect(bob, ping_interval=None)
        await watcher.expect("presence", member_id=bob.id, status="online")
        dead.conn.transport.pause_reading()
        offline = await watcher.expect("presence", member_id=bob.id, status="offline", timeout=10)
        assert offline["status"] == "offline"
    finally:
        await server.close()
        process.stop()
