"""Membership through HTTP on every database: joins, leaves, invites, kicks, bans, roles."""

from __future__ import annotations

import httpx
import orjson

from parley.core.runtime import Runtime
from tests.rooms.conftest import CommittedFrames
from tests.rooms.support import (
    API,
    add_member,
    create_room,
    invite,
    join,
    member_frames,
    messages,
    room_row,
)
from tests.support.api import assert_problem, signup


async def test_join_and_leave_record_system_messages_with_consecutive_seqs(
    client: httpx.AsyncClient, runtime: Runtime, frames: CommittedFrames
) -> None:
    owner, bob, carol = await signup(client), await signup(client), await signup(client)
    room = await create_room(client, owner, name="Lobby")
    assert room["member_count"] == 1 and room["role"] == "owner"

    joined = await join(client, bob, room["id"])
    assert joined.status_code == 200 and joined.json()["role"] == "member"
    assert joined.json()["member_count"] == 2
    assert (await join(client, carol, room["id"])).status_code == 200
    assert (
        await client.post(f"{API}/rooms/{room['id']}/leave", headers=bob.headers)
    ).status_code == 204

    rows = await messages(runtime, room["id"])
    assert [m.kind for m in rows] == ["system"] * 3
    assert [m.seq for m in rows] == [1, 2, 3]
    assert [m.body for m in rows] == [
        f"{bob.nickname} joined",
        f"{carol.nickname} joined",
        f"{bob.nickname} left",
    ]
    assert all(m.sender_id is None for m in rows)
    assert [orjson.loads(m.meta or "{}")["event"] for m in rows] == ["join", "join", "leave"]
    stored = await room_row(runtime, room["id"])
    assert stored is not None and stored.member_count == 2 and stored.last_seq == 3

    room_frames = frames.of(room["id"])
    assert member_frames(room_frames) == [
        ("join", bob.id, "member"),
        ("join", carol.id, "member"),
        ("leave", bob.id, None),
    ]
    assert [f["seq"] for f in room_frames if f["type"] == "message"] == [1, 2, 3]

    again = await join(client, carol, room["id"])
    assert_problem(again, 409, "already_member")
    assert_problem(
        await client.post(f"{API}/rooms/{room['id']}/leave", headers=bob.headers),
        403,
        "not_a_member",
    )


async def test_private_rooms_need_an_invite_which_a_join_uses_up(client: httpx.AsyncClient) -> None:
    owner, guest, stranger = await signup(client), await signup(client), await signup(client)
    room = await create_room(client, owner, is_private=True)
    rid = room["id"]
    # a stranger cannot tell a private room from a missing one
    assert_problem(await client.get(f"{API}/rooms/{rid}", headers=stranger.headers), 404)
    assert_problem(await join(client, stranger, rid), 404, "room_not_found")

    made = await invite(client, owner, rid, guest.id)
    assert made.status_code == 201
    assert made.json()["member"]["id"] == guest.id
    assert made.json()["invited_by"]["id"] == owner.id
    assert_problem(await invite(client, owner, rid, guest.id), 409, "already_invited")
    pending = (await client.get(f"{API}/me/invites", headers=guest.headers)).json()
    assert [i["room"]["id"] for i in pending] == [rid]
    detail = await client.get(f"{API}/rooms/{rid}", headers=guest.headers)
    assert detail.status_code == 200 and detail.json()["invited"] is True

    assert (await join(client, guest, rid)).status_code == 200
    assert (await client.get(f"{API}/me/invites", headers=guest.headers)).json() == []
    assert_problem(await invite(client, owner, rid, guest.id), 409, "already_member")
    # plain members may not invite into a private room unless the room allows it
    assert_problem(await invite(client, guest, rid, stranger.id), 403, "forbidden_role")
    changed = await client.patch(
        f"{API}/rooms/{rid}", json={"members_can_invite": True}, headers=owner.headers
    )
    assert changed.status_code == 200
    assert (await invite(client, guest, rid, stranger.id)).status_code == 201
    declined = await client.delete(f"{API}/me/invites/{rid}", headers=stranger.headers)
    assert declined.status_code == 204
    assert_problem(await join(client, stranger, rid), 404, "room_not_found")
    assert_problem(
        await client.delete(f"{API}/me/invites/{rid}", headers=stranger.headers),
        404,
        "invite_not_found",
    )
    assert_problem(await invite(client, owner, rid, 987_654_321), 404, "member_not_found")


async def test_kick_ban_unban_and_roles(
    client: httpx.AsyncClient, runtime: Runtime, frames: CommittedFrames
) -> None:
    owner, admin, alice, bob = [await signup(client) for _ in range(4)]
    room = await create_room(client, owner)
    rid = room["id"]
    for account in (admin, alice, bob):
        await add_member(client, owner, rid, account)
    promoted = await client.patch(
        f"{API}/rooms/{rid}/members/{admin.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"

    # an admin may not act on the owner or another admin; the owner may not demote themself
    assert_problem(
        await client.delete(f"{API}/rooms/{rid}/members/{owner.id}", headers=admin.headers),
        403,
        "forbidden_role",
    )
    assert_problem(
        await client.patch(
            f"{API}/rooms/{rid}/members/{owner.id}", json={"role": "member"}, headers=owner.headers
        ),
        403,
        "forbidden_role",
    )
    assert_problem(
        await client.delete(f"{API}/rooms/{rid}/members/{bob.id}", headers=alice.headers),
        403,
        "forbidden_role",
    )
    kicked = await client.delete(f"{API}/rooms/{rid}/members/{alice.id}", headers=admin.headers)
    assert kicked.status_code == 204
    assert_problem(
        await client.delete(f"{API}/rooms/{rid}/members/{alice.id}", headers=admin.headers),
        404,
        "member_not_found",
    )
    # a kicked member of a public room may come back; a banned one may not
    assert (await join(client, alice, rid)).status_code == 200
    banned = await client.post(
        f"{API}/rooms/{rid}/bans",
        json={"member_id": bob.id, "reason": "spam"},
        headers=admin.headers,
    )
    assert banned.status_code == 201
    assert banned.json()["member"]["id"] == bob.id and banned.json()["reason"] == "spam"
    assert_problem(await join(client, bob, rid), 403, "banned")
    assert_problem(await invite(client, alice, rid, bob.id), 403, "banned")
    assert_problem(
        await client.post(
            f"{API}/rooms/{rid}/bans", json={"member_id": bob.id}, headers=owner.headers
        ),
        409,
        "already_banned",
    )
    bans = (await client.get(f"{API}/rooms/{rid}/bans", headers=owner.headers)).json()
    assert [b["member"]["id"] for b in bans["items"]] == [bob.id]
    assert bans["items"][0]["banned_by"]["id"] == admin.id

    assert (
        await client.delete(f"{API}/rooms/{rid}/bans/{bob.id}", headers=owner.headers)
    ).status_code == 204
    assert_problem(
        await client.delete(f"{API}/rooms/{rid}/bans/{bob.id}", headers=owner.headers),
        404,
        "ban_not_found",
    )
    assert (await join(client, bob, rid)).status_code == 200

    members = (await client.get(f"{API}/rooms/{rid}/members", headers=bob.headers)).json()
    assert {(m["id"], m["role"]) for m in members["items"]} == {
        (owner.id, "owner"),
        (admin.id, "admin"),
        (alice.id, "member"),
        (bob.id, "member"),
    }
    stored = await room_row(runtime, rid)
    assert stored is not None and stored.member_count == 4

    events = [e for e, _, _ in member_frames(frames.of(rid))]
    assert events == [
        *["invite", "join"] * 3,
        "role",
        "kick",
        "join",
        "ban",
        "unban",
        "join",
    ]
    kinds = [orjson.loads(m.meta or "{}")["event"] for m in await messages(runtime, rid)]
    assert kinds == [*["invite", "join"] * 3, "role", "kick", "join", "ban", "join"]


async def test_owner_leaving_passes_ownership_then_the_last_one_out_deletes(
    client: httpx.AsyncClient, runtime: Runtime, frames: CommittedFrames
) -> None:
    owner, old, admin = [await signup(client) for _ in range(3)]
    room = await create_room(client, owner)
    rid = room["id"]
    await add_member(client, owner, rid, old)
    await add_member(client, owner, rid, admin, role="admin")
    assert (await client.post(f"{API}/rooms/{rid}/leave", headers=owner.headers)).status_code == 204
    # the oldest admin wins over an older plain member
    detail = (await client.get(f"{API}/rooms/{rid}", headers=admin.headers)).json()
    assert detail["role"] == "owner" and detail["member_count"] == 2
    assert member_frames(frames.of(rid))[-2:] == [
        ("leave", owner.id, None),
        ("owner", admin.id, "owner"),
    ]
    assert (await client.post(f"{API}/rooms/{rid}/leave", headers=admin.headers)).status_code == 204
    detail = (await client.get(f"{API}/rooms/{rid}", headers=old.headers)).json()
    assert detail["role"] == "owner"
    assert (await client.post(f"{API}/rooms/{rid}/leave", headers=old.headers)).status_code == 204
    assert await room_row(runtime, rid) is None
    assert await messages(runtime, rid) == []
    last = (frames.of(rid))[-1]
    assert last["type"] == "room" and last["event"] == "delete" and last["room"]["id"] == rid
    assert_problem(
        await client.get(f"{API}/rooms/{rid}", headers=old.headers), 404, "room_not_found"
    )
