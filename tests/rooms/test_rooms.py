"""Rooms through HTTP: create, browse and search, detail, update, delete, "my rooms"."""

from __future__ import annotations

import httpx

from parley.chat.models import Message
from parley.chat.summaries import UNREAD_CAP
from parley.core.runtime import Runtime
from parley.rooms.api import allocate_seqs
from parley.rooms.models import RoomMember
from tests.rooms.support import API, add_member, create_room, join
from tests.support.api import Account, assert_problem, signup


async def test_create_and_read(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    created = await client.post(
        f"{API}/rooms",
        json={"name": "  Café  ", "topic": "coffee", "capacity": 10, "members_can_invite": True},
        headers=owner.headers,
    )
    assert created.status_code == 201
    room = created.json()
    assert room["name"] == "Café" and room["topic"] == "coffee" and room["capacity"] == 10
    assert room["is_private"] is False and room["members_can_invite"] is True
    assert room["member_count"] == 1 and room["role"] == "owner" and room["kind"] == "group"
    detail = await client.get(f"{API}/rooms/{room['id']}", headers=owner.headers)
    assert detail.status_code == 200 and detail.json() == room
    defaults = await create_room(client, owner, name="Defaults")
    assert defaults["capacity"] == 500 and defaults["topic"] == ""
    assert_problem(
        await client.post(f"{API}/rooms", json={"name": "CAFÉ"}, headers=owner.headers),
        409,
        "room_name_taken",
    )


async def test_browse_searches_public_rooms_by_name(client: httpx.AsyncClient) -> None:
    owner, viewer = await signup(client), await signup(client)
    for name in ("Beta", "alpha", "Gamma_%", "100% real"):
        await create_room(client, owner, name=name)
    await create_room(client, owner, name="Alpine secret", is_private=True)
    everything = (await client.get(f"{API}/rooms", headers=viewer.headers)).json()
    assert [r["name"] for r in everything["items"]] == ["100% real", "alpha", "Beta", "Gamma_%"]
    assert everything["page_size"] == 20 and everything["has_more"] is False

    async def names(q: str) -> list[str]:
        response = await client.get(f"{API}/rooms", params={"q": q}, headers=viewer.headers)
        assert response.status_code == 200, response.text
        return [r["name"] for r in response.json()["items"]]

    assert await names("ALP") == ["alpha"]  # the private "Alpine secret" stays hidden
    assert await names("%") == ["100% real", "Gamma_%"]  # LIKE wildcards match literally
    assert await names("_") == ["Gamma_%"]
    assert await names("zzz") == []


async def test_browse_pages_are_stable(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await signup(client)
    for i in range(23):
        await create_room(client, owner, name=f"room {i:02}")
    first = (await client.get(f"{API}/rooms?page=1", headers=owner.headers)).json()
    second = (await client.get(f"{API}/rooms?page=2", headers=owner.headers)).json()
    assert len(first["items"]) == 20 and first["has_more"] is True
    assert len(second["items"]) == 3 and second["has_more"] is False
    names = [r["name"] for r in first["items"] + second["items"]]
    assert names == sorted(names) and len(set(names)) == 23


async def test_update_and_delete(client: httpx.AsyncClient) -> None:
    owner, admin, bob = await signup(client), await signup(client), await signup(client)
    room = await create_room(client, owner, capacity=5)
    rid = room["id"]
    await add_member(client, owner, rid, admin, role="admin")
    await add_member(client, owner, rid, bob)
    changed = await client.patch(
        f"{API}/rooms/{rid}",
        json={"name": "Renamed", "topic": "", "is_private": True, "capacity": 3},
        headers=admin.headers,
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["name"], body["topic"], body["is_private"], body["capacity"]) == (
        "Renamed",
        "",
        True,
        3,
    )
    assert_problem(
        await client.patch(f"{API}/rooms/{rid}", json={"capacity": 2}, headers=owner.headers),
        409,
        "capacity_below_members",
    )
    assert_problem(
        await client.patch(f"{API}/rooms/{rid}", json={"topic": None}, headers=owner.headers),
        422,
        "validation_failed",
    )
    assert_problem(await client.delete(f"{API}/rooms/{rid}", headers=admin.headers), 403)
    assert (await client.delete(f"{API}/rooms/{rid}", headers=owner.headers)).status_code == 204
    assert_problem(await client.get(f"{API}/rooms/{rid}", headers=bob.headers), 404)


async def _say(
    runtime: Runtime, room_id: int, sender: Account, body: str, to: int | None = None
) -> None:
    async with runtime.db.transaction() as session:
        seq = await allocate_seqs(session, room_id)
        session.add(
            Message(
                room_id=room_id,
                seq=seq,
                sender_id=sender.id,
                kind="text" if to is None else "whisper",
                body=body,
                to_member_id=to,
            )
        )


async def _mark_read(runtime: Runtime, room_id: int, member: Account, seq: int) -> None:
    async with runtime.db.transaction() as session:
        membership = await session.get(RoomMember, (room_id, member.id))
        assert membership is not None
        membership.last_read_seq = seq


async def test_my_rooms_previews_and_unread_counts(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, bob, carol = await signup(client), await signup(client), await signup(client)
    await create_room(client, alice, name="Quiet")
    busy = await create_room(client, bob, name="Busy")
    assert (await join(client, alice, busy["id"])).status_code == 200  # seq 1 (system)
    assert (await join(client, carol, busy["id"])).status_code == 200  # seq 2 (system)
    await _say(runtime, busy["id"], bob, "hello all")  # 3
    await _say(runtime, busy["id"], alice, "hi bob")  # 4: alice's own
    await _say(runtime, busy["id"], bob, "psst alice", to=alice.id)  # 5: whisper to alice
    await _say(runtime, busy["id"], bob, "psst carol", to=carol.id)  # 6: not alice's business

    mine = (await client.get(f"{API}/me/rooms", headers=alice.headers)).json()
    assert [r["name"] for r in mine] == ["Busy", "Quiet"]  # most recent activity first
    room = mine[0]
    # a newcomer starts with everything up to their own join read
    assert room["role"] == "member" and room["last_seq"] == 6 and room["last_read_seq"] == 1
    # 3 and 5 - not carol's join (a system message), not alice's own message, not the
    # whisper to carol (DESIGN §7: unread counts count new messages only)
    assert room["unread"] == 2
    assert room["last_message"]["seq"] == 5 and room["last_message"]["body"] == "psst alice"
    assert room["last_message"]["sender"] == {"id": bob.id, "nickname": bob.nickname}
    assert mine[1]["unread"] == 0 and mine[1]["last_message"] is None

    carol_view = (await client.get(f"{API}/me/rooms", headers=carol.headers)).json()[0]
    # 3, 4 (alice's) and 6 (to carol); not 5 (to alice); 1 and 2 came before carol was in
    assert carol_view["last_message"]["body"] == "psst carol" and carol_view["unread"] == 3

    await _mark_read(runtime, busy["id"], alice, 4)
    again = (await client.get(f"{API}/me/rooms", headers=alice.headers)).json()[0]
    assert again["unread"] == 1


async def test_unread_is_capped(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner, reader = await signup(client), await signup(client)
    room = await create_room(client, owner)
    assert (await join(client, reader, room["id"])).status_code == 200
    async with runtime.db.transaction() as session:
        first = await allocate_seqs(session, room["id"], UNREAD_CAP + 5)
        session.add_all(
            Message(room_id=room["id"], seq=first + i, sender_id=owner.id, body=f"m{i}")
            for i in range(UNREAD_CAP + 5)
        )
    mine = (await client.get(f"{API}/me/rooms", headers=reader.headers)).json()
    assert mine[0]["unread"] == UNREAD_CAP
    assert mine[0]["last_message"]["body"] == f"m{UNREAD_CAP + 4}"
