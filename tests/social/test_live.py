"""Against a real server over WebSocket: friends' presence, and that resume and live delivery
never show whispers, direct messages or their files to anyone else."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support.ws import Member, Server

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763"
    "f8cfc0f00f0003010100c9fe92ef0000000049454e44ae426082"
)


async def _befriend(server: Server, a: Member, b: Member) -> None:
    asked = await server.http.post("/me/friends", json={"member_id": b.id}, headers=a.headers)
    assert asked.status_code == 201, asked.text
    accepted = await server.http.post(f"/me/friends/{a.id}/accept", headers=b.headers)
    assert accepted.status_code == 204, accepted.text


async def _upload(server: Server, member: Member, data: bytes, name: str) -> int:
    response = await server.http.post(
        "/files", files={"file": (name, data, "application/octet-stream")}, headers=member.headers
    )
    assert response.status_code == 201, response.text
    file_id: int = response.json()["id"]
    return file_id


async def _get(server: Server, member: Member | None, path: str) -> httpx.Response:
    return await server.http.get(path, headers=member.headers if member else {})


async def test_friends_hear_presence_without_a_shared_room(server: Server) -> None:
    alice, bob, carol = await server.member(), await server.member(), await server.member()
    await _befriend(server, alice, bob)
    a = await server.connect(alice)
    b = await server.connect(bob)  # asserts `ready` comes first, before alice's presence
    assert (await a.expect("presence", member_id=bob.id))["status"] == "online"
    listed = (await server.http.get("/me/friends", headers=alice.headers)).json()
    assert [(f["member"]["id"], f["online"]) for f in listed["friends"]] == [(bob.id, True)]
    c = await server.connect(carol)  # a stranger: nobody is told
    await b.close()
    assert (await a.expect("presence", member_id=bob.id, timeout=3))["status"] == "offline"
    await a.send({"type": "ping", "id": "sync"})
    await a.expect("pong", id="sync")
    assert not [f for f in a.frames if f.get("type") == "presence" and f["member_id"] == carol.id]
    await c.close()


async def test_the_peer_of_a_new_direct_room_hears_of_it(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    b = await server.connect(bob)
    opened = await server.http.post("/dms", json={"member_id": bob.id}, headers=alice.headers)
    assert opened.status_code == 200, opened.text
    frame = await b.expect("room", event="update")
    assert frame["room"]["id"] == opened.json()["id"] and frame["room"]["kind"] == "direct"


async def test_resume_and_downloads_never_leak_private_messages(server: Server) -> None:
    alice, bob, carol = await server.member(), await server.member(), await server.member()
    room = await server.room(alice, bob, carol)
    dm = (await server.http.post("/dms", json={"member_id": bob.id}, headers=alice.headers)).json()
    whispered = await _upload(server, alice, PNG_1PX, "w.png")
    direct = await _upload(server, alice, b"direct notes\n", "d.txt")
    a = await server.connect(alice)
    cmid = await a.send_message(room, "psst", to=bob.id, attachments=[whispered])
    await a.expect("ack", client_msg_id=cmid)
    cmid = await a.send_message(dm["id"], "just us", attachments=[direct])
    await a.expect("ack", client_msg_id=cmid)
    await a.send_message(room, "hello all")

    c = await server.connect(carol)
    _, replayed = await c.subscribe(room, after_seq=0)
    bodies = [m["body"] for m in replayed]
    assert "hello all" in bodies and "psst" not in bodies
    await c.send({"type": "subscribe", "room_id": dm["id"], "after_seq": 0})
    assert (await c.expect("error", ref=dm["id"]))["code"] == "not_a_member"
    b = await server.connect(bob)
    _, seen = await b.subscribe(room, after_seq=0)
    whisper: dict[str, Any] = next(m for m in seen if m["body"] == "psst")
    assert [x["id"] for x in whisper["attachments"]] == [whispered]
    _, seen = await b.subscribe(dm["id"], after_seq=0)
    assert [x["id"] for x in seen[-1]["attachments"]] == [direct]
    for file_id in (whispered, direct):
        assert (await _get(server, bob, f"/files/{file_id}")).status_code == 200
        assert (await _get(server, carol, f"/files/{file_id}")).status_code == 404
        assert (await _get(server, carol, f"/files/{file_id}/thumbnail")).status_code == 404
        assert (await _get(server, None, f"/files/{file_id}")).status_code == 401
    history = (await _get(server, carol, f"/rooms/{dm['id']}/messages")).status_code
    assert history == 404
    for client in (a, b, c):
        await client.close()


async def test_send_frames_with_bad_attachments_or_to_a_blocker(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    hers = await _upload(server, alice, b"alice only\n", "a.txt")
    b = await server.connect(bob)
    for attachments, code in (
        ([hers], "invalid_attachment"),
        (list(range(1, 12)), "too_many_attachments"),
        ("1,2", "invalid_field"),
        ([True], "invalid_field"),
    ):
        cmid = await b.send_message(room, "take", attachments=attachments)
        assert (await b.expect("error", ref=cmid))["code"] == code
    blocked = await server.http.post(f"/me/blocks/{bob.id}", headers=alice.headers)
    assert blocked.status_code == 201
    cmid = await b.send_message(room, "psst", to=alice.id)
    assert (await b.expect("error", ref=cmid))["code"] == "blocked"
    cmid = await b.send_message(room, "in the open")
    await b.expect("ack", client_msg_id=cmid)
    await asyncio.sleep(0)
    await b.close()
