"""The seven guarantees of DESIGN §4, each against a real server and real WebSocket clients."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from websockets.exceptions import ConnectionClosed

from tests.realtime.conftest import start_dedicated
from tests.support.server import ServerProcess
from tests.support.ws import Server


async def test_durable_before_visible_and_retry_after_a_failed_commit(
    server: Server, server_process: ServerProcess
) -> None:
    """A message whose transaction fails is seen by nobody; its retry is stored once."""
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a, b = await server.connect(alice), await server.connect(bob)
    await a.subscribe(room)
    await b.subscribe(room)
    db = sqlite3.connect(server_process.workdir / "parley.db")
    db.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.body = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    db.commit()
    try:
        cmid = await a.send_message(room, "poison")
        error = await a.expect("error", ref=cmid)
        assert error["code"] == "unavailable"
        # nobody saw it, and nothing is stored
        assert not [f for f in b.frames + a.frames if f.get("type") == "message"]
        stored = await server.history(bob, room, after_seq=0)
        assert [m for m in stored if m["kind"] != "system"] == []
    finally:
        db.execute("DROP TRIGGER poison")
        db.commit()
        db.close()
    await a.send_message(room, "poison", cmid)  # the client retries with the same id
    ack = await a.expect("ack", client_msg_id=cmid)
    seen = await b.expect("message", room_id=room)
    assert (seen["seq"], seen["id"], seen["body"]) == (ack["seq"], ack["id"], "poison")
    # what a receiver sees is already in the database
    stored = await server.history(bob, room, after_seq=ack["seq"] - 1)
    assert [m["id"] for m in stored] == [ack["id"]]


async def test_every_client_sees_a_rooms_messages_in_seq_order(server: Server) -> None:
    senders = [await server.member() for _ in range(3)]
    watcher = await server.member()
    room = await server.room(senders[0], *senders[1:], watcher)
    clients = [await server.connect(m) for m in (*senders, watcher)]
    for client in clients:
        await client.subscribe(room)
    per_sender = 40

    async def blast(client_index: int) -> None:
        for i in range(per_sender):
            await clients[client_index].send_message(room, f"s{client_index}-{i}")

    await asyncio.gather(*(blast(i) for i in range(3)))
    sequences = []
    for client in clients:
        got = await client.messages(room, 3 * per_sender)
        seqs = [m["seq"] for m in got]
        assert seqs == list(range(seqs[0], seqs[0] + 3 * per_sender)), seqs
        sequences.append([(m["seq"], m["id"], m["body"]) for m in got])
        # each sender's own messages keep the order in which it sent them
        for s in range(3):
            mine = [m["body"] for m in got if m["body"].startswith(f"s{s}-")]
            assert mine == [f"s{s}-{i}" for i in range(per_sender)]
    assert all(seq == sequences[0] for seq in sequences)


async def test_a_retried_client_msg_id_returns_the_original_ack(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a, b = await server.connect(alice), await server.connect(bob)
    await b.subscribe(room)
    await a.send_message(room, "once", "same-id")
    first = await a.expect("ack", client_msg_id="same-id")
    # again on the same connection, concurrently twice, on another connection, and over HTTP
    await a.send_message(room, "twice?", "same-id")
    await a.send_message(room, "thrice?", "same-id")
    again = [await a.expect("ack", client_msg_id="same-id") for _ in range(2)]
    other = await server.connect(alice)
    await other.send_message(room, "from my phone", "same-id")
    phone = await other.expect("ack", client_msg_id="same-id")
    http = await server.http.post(
        f"/rooms/{room}/messages",
        json={"body": "bot", "client_msg_id": "same-id"},
        headers=alice.headers,
    )
    assert http.status_code == 201
    for ack in (*again, phone, http.json()):
        assert (ack["seq"], ack["id"], ack["room_id"]) == (first["seq"], first["id"], room)
    history = await server.history(bob, room, after_seq=0)
    assert [m["body"] for m in history if m["kind"] == "text"] == ["once"]
    await b.expect("message", room_id=room, body="once")
    await a.send_message(room, "next", "other-id")
    following = await b.expect("message", room_id=room)
    assert following["body"] == "next"  # no duplicate was broadcast in between


async def test_resume_replays_the_gap_then_goes_live_without_gap_or_duplicate(
    server: Server,
) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a = await server.connect(alice)
    await a.subscribe(room)
    b = await server.connect(bob)
    await b.subscribe(room)
    for i in range(5):
        await a.send_message(room, f"before {i}")
    seen = await b.messages(room, 5)
    last_seen = seen[-1]["seq"]
    b.conn.transport.abort()  # the network dies
    away = [await a.send_message(room, f"while away {i}") for i in range(30)]
    for cmid in away:
        await a.expect("ack", client_msg_id=cmid)
    stop = asyncio.Event()

    async def keep_sending() -> None:
        i = 0
        while not stop.is_set():
            await a.send_message(room, f"live {i}")
            i += 1
            await asyncio.sleep(0.002)

    sender = asyncio.create_task(keep_sending())
    try:
        b2 = await server.connect(bob)
        subscribed, replayed = await b2.subscribe(room, after_seq=last_seen)
        live = await b2.messages(room, 20)
    finally:
        stop.set()
        await sender
    seqs = [m["seq"] for m in replayed + live]
    assert seqs == list(range(last_seen + 1, last_seen + 1 + len(seqs))), seqs
    # the switch point: replayed messages up to `last_seq`, live ones after it (a message
    # acked but not yet fanned out when the subscription starts comes live, not replayed)
    assert all(m["seq"] <= subscribed["last_seq"] for m in replayed)
    assert all(m["seq"] > subscribed["last_seq"] for m in live)
    bodies = [m["body"] for m in replayed + live]
    assert bodies[:30] == [f"while away {i}" for i in range(30)]


async def test_a_replay_given_up_half_way_resumes_from_the_highest_seq_seen(
    server: Server,
) -> None:
    """A client that gives up on a subscribe mid-replay (a timeout: tests/chaos's client
    does) and resumes on a new socket from the highest seq it saw gets the rest, once: a
    replay is in seq order, so what it saw is a prefix."""
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a = await server.connect(alice)
    for i in range(120):
        await a.send_message(room, f"m{i}")
    last = max([(await a.expect("ack"))["seq"] for _ in range(120)])
    first = await server.connect(bob)
    await first.send({"type": "subscribe", "room_id": room, "after_seq": 0})
    prefix = [(await first.expect("message", room_id=room))["seq"] for _ in range(10)]
    assert prefix == list(range(1, 11))
    # the first socket is left open and unread, its replay unfinished
    second = await server.connect(bob)
    subscribed, replayed = await second.subscribe(room, after_seq=prefix[-1])
    assert [m["seq"] for m in replayed] == list(range(prefix[-1] + 1, last + 1))
    assert subscribed["last_seq"] == last
    await a.send_message(room, "live")
    assert (await second.expect("message", room_id=room))["seq"] == last + 1


async def test_resume_beyond_the_bound_gets_a_reset_hint(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a = await server.connect(alice)
    for i in range(205):  # the test server's bound is 200
        await a.send_message(room, f"m{i}")
    acks = [await a.expect("ack") for _ in range(205)]
    last = max(ack["seq"] for ack in acks)
    b = await server.connect(bob)
    await b.send({"type": "subscribe", "room_id": room, "after_seq": 0})
    reset = await b.expect("reset", room_id=room)
    assert reset["last_seq"] == last
    subscribed = await b.expect("subscribed", room_id=room)
    assert subscribed["last_seq"] == last
    assert not [f for f in b.frames if f.get("type") == "message"]
    await a.send_message(room, "after reset")
    assert (await b.expect("message", room_id=room))["seq"] == last + 1


async def test_a_client_that_never_reads_is_closed_and_never_delays_others(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    process = start_dedicated(tmp_path_factory.mktemp("slow"), PARLEY_WS_SEND_BUFFER_BYTES="65536")
    server = Server(process.base_url)
    try:
        alice, reader, sloth = [await server.member() for _ in range(3)]
        room = await server.room(alice, reader, sloth)
        # the healthy clients read their sockets whatever the test's own pace (no frame
        # limit), so only the sloth can fall behind
        a = await server.connect(alice, max_queue=None)
        r = await server.connect(reader, max_queue=None)
        s = await server.connect(sloth, max_queue=1)
        for client in (r, s):
            await client.subscribe(room)
        s.conn.transport.pause_reading()  # the sloth stops reading from its socket
        body = "x" * 3900
        loop = asyncio.get_running_loop()
        started = loop.time()
        count = 1000

        async def send_all() -> None:
            for i in range(count):
                await a.send_message(room, f"{i} {body}")

        async def drain_acks() -> None:
            for _ in range(count):
                await a.expect("ack", timeout=60)

        sending = asyncio.gather(send_all(), drain_acks())
        got = await r.messages(room, count, timeout=60)
        await sending
        elapsed = loop.time() - started
        assert [m["body"].split(" ")[0] for m in got] == [str(i) for i in range(count)]
        assert elapsed < 30, elapsed
        s.conn.transport.resume_reading()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await s.recv(timeout=20)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4009
        # the slow client resumes where it stopped
        last = max((f["seq"] for f in s.frames if f.get("type") == "message"), default=0)
        again = await server.connect(sloth)
        _, replayed = await again.subscribe(room, after_seq=last)
        tail = [f["seq"] for f in replayed]
        assert tail == list(range(last + 1, got[-1]["seq"] + 1)) or tail == []
        health = await server.http.get(process.base_url + "/healthz")
        assert health.status_code == 200
    finally:
        await server.close()
        process.stop()
