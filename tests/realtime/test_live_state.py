"""Presence, typing, read markers and room events, as other members see them live."""

from __future__ import annotations

import asyncio

from tests.support.ws import Server


async def test_presence_goes_online_and_offline_after_a_grace_period(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a = await server.connect(alice)
    await a.subscribe(room)
    b = await server.connect(bob)
    online = await a.expect("presence", member_id=bob.id)
    assert online["status"] == "online"
    await asyncio.sleep(0.3)  # alice's own "online" would have arrived by now: it must not
    assert not [f for f in a.frames if f.get("type") == "presence" and f["member_id"] == alice.id]
    # a quick reconnect (within the 0.5 s grace of the test server) does not flap
    await b.close()
    b = await server.connect(bob)
    await asyncio.sleep(0.8)
    assert not [f for f in a.unread if f.get("type") == "presence"]
    second = await server.connect(bob)  # two connections: closing one keeps bob online
    await b.close()
    await asyncio.sleep(0.8)
    assert not [f for f in a.unread if f.get("type") == "presence"]
    await second.close()
    offline = await a.expect("presence", member_id=bob.id, timeout=3)
    assert offline["status"] == "offline"


async def test_typing_is_throttled_and_not_echoed(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a, b = await server.connect(alice), await server.connect(bob)
    await a.subscribe(room)
    await b.subscribe(room)
    for _ in range(5):
        await b.send({"type": "typing", "room_id": room})
    first = await a.expect("typing", room_id=room)
    assert first["member_id"] == bob.id
    await asyncio.sleep(0.3)
    assert not [f for f in a.unread if f.get("type") == "typing"]  # throttled to one
    await asyncio.sleep(0.8)  # the test server's interval is 1 s
    await b.send({"type": "typing", "room_id": room})
    await a.expect("typing", room_id=room, member_id=bob.id)
    assert not [f for f in b.frames if f.get("type") == "typing"]


async def test_read_markers_move_forward_and_drive_unread_counts(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a, b = await server.connect(alice), await server.connect(bob)
    await b.subscribe(room)
    acks = []
    for i in range(4):
        cmid = await a.send_message(room, f"m{i}")
        acks.append(await a.expect("ack", client_msg_id=cmid))

    async def unread() -> int:
        mine = await server.http.get("/me/rooms", headers=bob.headers)
        rows = mine.json()
        rows = rows["items"] if isinstance(rows, dict) else rows
        return int(next(r["unread"] for r in rows if r["id"] == room))

    assert await unread() == 4
    await b.send({"type": "read", "room_id": room, "seq": acks[1]["seq"]})
    marker = await b.expect("read", room_id=room)
    assert (marker["member_id"], marker["seq"]) == (bob.id, acks[1]["seq"])
    assert await unread() == 2
    # never backwards, never past the end
    back = await server.http.post(f"/rooms/{room}/read", json={"seq": 0}, headers=bob.headers)
    assert back.json()["seq"] == acks[1]["seq"]
    ahead = await server.http.post(f"/rooms/{room}/read", json={"seq": 10**12}, headers=bob.headers)
    assert ahead.json()["seq"] == acks[-1]["seq"]
    assert await unread() == 0
    huge = await server.http.post(f"/rooms/{room}/read", json={"seq": 10**30}, headers=bob.headers)
    assert huge.status_code == 422


async def test_subscribed_tells_the_member_their_own_read_marker(server: Server) -> None:
    """A page that read its unread counts before its socket listened learns of a read
    marker set in between (by the page just left) from `subscribed`, whose `read` frame
    reached none of its sockets."""
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    a = await server.connect(alice)
    acks = []
    for i in range(3):
        cmid = await a.send_message(room, f"m{i}")
        acks.append(await a.expect("ack", client_msg_id=cmid))
    b = await server.connect(bob)
    fresh, _ = await b.subscribe(room)
    # bob has read up to his own join, none of the three
    assert (fresh["last_seq"], fresh["read_seq"]) == (acks[-1]["seq"], acks[0]["seq"] - 1)
    marked = await server.http.post(
        f"/rooms/{room}/read", json={"seq": acks[1]["seq"]}, headers=bob.headers
    )
    assert marked.status_code == 200, marked.text
    later = await server.connect(bob)
    answer, _ = await later.subscribe(room, after_seq=acks[-1]["seq"])
    assert answer["read_seq"] == acks[1]["seq"]
    other, _ = await (await server.connect(alice)).subscribe(room)
    listing = (await server.http.get("/me/rooms", headers=alice.headers)).json()
    rows = listing["items"] if isinstance(listing, dict) else listing
    mine = next(r["last_read_seq"] for r in rows if r["id"] == room)
    assert other["read_seq"] == mine != acks[1]["seq"]  # each member's own marker


async def test_membership_changes_arrive_with_their_system_message(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice)
    a = await server.connect(alice)
    await a.subscribe(room)
    joined = await server.http.post(f"/rooms/{room}/join", headers=bob.headers)
    assert joined.status_code in (200, 201)
    event = await a.expect("member", room_id=room)
    assert (event["event"], event["member"]["id"]) == ("join", bob.id)
    system = await a.expect("message", room_id=room, kind="system")
    assert bob.nickname in system["body"]
    left = await server.http.post(f"/rooms/{room}/leave", headers=bob.headers)
    assert left.status_code in (200, 204)
    assert (await a.expect("member", room_id=room))["event"] == "leave"
    assert (await a.expect("message", room_id=room, kind="system"))["seq"] == system["seq"] + 1


async def test_an_invitation_reaches_the_invitee_who_is_not_subscribed(server: Server) -> None:
    """The app shell shows it at once on any page; and the members listing carries read
    markers, which "seen by" starts from."""
    alice, bob, carol = await server.member(), await server.member(), await server.member()
    room = await server.room(alice, bob)
    a, c = await server.connect(alice), await server.connect(carol)
    await a.subscribe(room)
    invited = await server.http.post(
        f"/rooms/{room}/invites", json={"member_id": carol.id}, headers=alice.headers
    )
    assert invited.status_code == 201, invited.text
    frame = await c.expect("member", room_id=room)
    assert (frame["event"], frame["member"]["id"]) == ("invite", carol.id)
    await a.expect("member", room_id=room, event="invite")  # the room hears it as before
    # carol is not a member: nothing else of the room reaches her
    await a.send_message(room, "members only")
    await a.expect("message", room_id=room)
    await asyncio.sleep(0.3)
    assert not [f for f in c.unread if f.get("type") == "message"]

    cmid = await a.send_message(room, "read me")
    ack = await a.expect("ack", client_msg_id=cmid)
    b = await server.connect(bob)
    await b.send({"type": "read", "room_id": room, "seq": ack["seq"]})
    await a.expect("read", room_id=room, member_id=bob.id)
    listing = await server.http.get(f"/rooms/{room}/members", headers=alice.headers)
    markers = {m["id"]: m["last_read_seq"] for m in listing.json()["items"]}
    assert markers[bob.id] == ack["seq"]
