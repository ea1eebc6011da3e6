"""Guarantee 6: subscribe, send, history, typing, read and calls check membership and bans."""

from __future__ import annotations

import asyncio

from tests.support.ws import Server


async def test_outsiders_can_do_nothing_in_a_room(server: Server) -> None:
    alice, bob, eve = await server.member(), await server.member(), await server.member()
    public = await server.room(alice, bob)
    private = await server.room(alice, bob, private=True)
    a = await server.connect(alice)
    await a.subscribe(public)
    e = await server.connect(eve)
    for room in (public, private, 10**15):
        await e.send({"type": "subscribe", "room_id": room})
        assert (await e.expect("error", ref=room))["code"] == "not_a_member"
        cmid = await e.send_message(room, "let me in")
        assert (await e.expect("error", ref=cmid))["code"] == "not_a_member"
        await e.send({"type": "typing", "room_id": room})
        assert (await e.expect("error", ref=room))["code"] == "not_subscribed"
        await e.send({"type": "read", "room_id": room, "seq": 1})
        assert (await e.expect("error", ref=room))["code"] == "not_a_member"
        await e.send({"type": "call", "room_id": room, "to": alice.id, "action": "request"})
        assert (await e.expect("error", ref=room))["code"] == "not_a_member"
    # nothing from eve reached the room, and her history reads are refused
    await a.send({"type": "ping", "id": "sync"})
    await a.expect("pong", id="sync")
    assert not [f for f in a.frames if f.get("type") in ("message", "typing", "read")]
    denied = await server.http.get(f"/rooms/{public}/messages", headers=eve.headers)
    assert denied.status_code == 403
    assert denied.json()["code"] == "not_a_member"
    hidden = await server.http.get(f"/rooms/{private}/messages", headers=eve.headers)
    assert hidden.status_code == 404
    sent = await server.http.post(
        f"/rooms/{public}/messages", json={"body": "hi", "client_msg_id": "x"}, headers=eve.headers
    )
    assert sent.status_code == 403
    history = await server.history(alice, public, after_seq=0)
    assert all(m["sender"] is None or m["sender"]["id"] != eve.id for m in history)


async def test_a_kicked_member_stops_receiving_and_cannot_send(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a, b = await server.connect(alice), await server.connect(bob)
    await a.subscribe(room)
    await b.subscribe(room)
    kicked = await server.http.delete(f"/rooms/{room}/members/{bob.id}", headers=alice.headers)
    assert kicked.status_code in (200, 204), kicked.text
    event = await b.expect("member", room_id=room)
    assert event["event"] == "kick"
    assert event["member"]["id"] == bob.id
    await a.send_message(room, "secret after the kick")
    await a.expect("message", room_id=room, body="secret after the kick")
    cmid = await b.send_message(room, "still here?")
    assert (await b.expect("error", ref=cmid))["code"] == "not_a_member"
    await b.send({"type": "ping", "id": 1})
    await b.expect("pong", id=1)
    assert not [f for f in b.frames if f.get("body") == "secret after the kick"]
    await b.send({"type": "subscribe", "room_id": room, "after_seq": 0})
    assert (await b.expect("error", ref=room))["code"] == "not_a_member"


async def test_whispers_reach_only_sender_and_target(server: Server) -> None:
    alice, bob, carol = await server.member(), await server.member(), await server.member()
    room = await server.room(alice, bob, carol)
    clients = {m.id: await server.connect(m) for m in (alice, bob, carol)}
    for client in clients.values():
        await client.subscribe(room)
    a = clients[alice.id]
    cmid = await a.send_message(room, "psst, bob", to=bob.id)
    ack = await a.expect("ack", client_msg_id=cmid)
    for member in (alice, bob):
        whisper = await clients[member.id].expect("message", room_id=room, seq=ack["seq"])
        assert (whisper["kind"], whisper["to"], whisper["body"]) == ("whisper", bob.id, "psst, bob")
    await a.send_message(room, "hello all")
    public = await clients[carol.id].expect("message", room_id=room)
    assert public["body"] == "hello all"
    assert public["seq"] == ack["seq"] + 1  # carol never saw the whisper's seq
    for member, sees in ((alice, True), (bob, True), (carol, False)):
        history = await server.history(member, room, after_seq=0)
        assert any(m["seq"] == ack["seq"] for m in history) is sees
        late = await server.connect(member)
        _, replayed = await late.subscribe(room, after_seq=0)
        assert any(m["seq"] == ack["seq"] for m in replayed) is sees
    for bad_target, code in ((alice.id, "invalid_target"), (10**9, "invalid_target")):
        cmid = await a.send_message(room, "to nobody", to=bad_target)
        assert (await a.expect("error", ref=cmid))["code"] == code


async def test_call_signals_reach_only_the_callee(server: Server) -> None:
    alice, bob, carol = await server.member(), await server.member(), await server.member()
    room = await server.room(alice, bob, carol)
    a, b, c = [await server.connect(m) for m in (alice, bob, carol)]
    for client in (a, b, c):
        await client.subscribe(room)
    offer = {"sdp": "v=0 fake"}
    await a.send({"type": "call", "room_id": room, "to": bob.id, "action": "offer", "data": offer})
    got = await b.expect("call", room_id=room)
    assert got == {
        "type": "call",
        "room_id": room,
        "from": alice.id,
        "action": "offer",
        "data": offer,
    }
    await c.send({"type": "ping", "id": "c"})
    await c.expect("pong", id="c")
    await asyncio.sleep(0.2)
    assert not [f for f in c.frames if f.get("type") == "call"]
    await a.send({"type": "call", "room_id": room, "to": bob.id, "action": "dance"})
    assert (await a.expect("error"))["code"] == "invalid_field"
