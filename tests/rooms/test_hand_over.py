"""The owner hands a room over (`POST /rooms/{id}/owner`): roles, history, audit, refusals;
and system messages carry the names a page needs to say them in its own language."""

from __future__ import annotations

import httpx
import orjson
from sqlalchemy import select

from parley.admin.models import AuditEntry
from parley.core.runtime import Runtime
from tests.rooms.support import API, add_member, create_room, messages
from tests.support.api import assert_problem, signup


async def test_the_owner_hands_the_room_over_and_becomes_an_admin(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, heir = await signup(client, "ho_owner"), await signup(client, "ho_heir")
    other = await signup(client, "ho_x")
    rid = (await create_room(client, owner))["id"]
    await add_member(client, owner, rid, heir)
    await add_member(client, owner, rid, other, role="admin")

    # nobody but the owner may; the new owner must be in the room
    for who in (heir, other):
        refused = await client.post(
            f"{API}/rooms/{rid}/owner", json={"member_id": who.id}, headers=who.headers
        )
        assert_problem(refused, 403, "forbidden_role")
    stranger = await signup(client, "ho_stranger")
    outside = await client.post(
        f"{API}/rooms/{rid}/owner", json={"member_id": stranger.id}, headers=owner.headers
    )
    assert_problem(outside, 404, "member_not_found")
    for bad in ({"member_id": 0}, {"member_id": "7"}, {}, {"member_id": 2**63}):
        response = await client.post(f"{API}/rooms/{rid}/owner", json=bad, headers=owner.headers)
        assert response.status_code == 422, bad

    handed = await client.post(
        f"{API}/rooms/{rid}/owner", json={"member_id": heir.id}, headers=owner.headers
    )
    assert handed.status_code == 204, handed.text
    members = (await client.get(f"{API}/rooms/{rid}/members", headers=owner.headers)).json()
    roles = {m["id"]: m["role"] for m in members["items"]}
    assert roles == {owner.id: "admin", heir.id: "owner", other.id: "admin"}
    # the former owner is an admin now: handing it over again is refused
    again = await client.post(
        f"{API}/rooms/{rid}/owner", json={"member_id": owner.id}, headers=owner.headers
    )
    assert_problem(again, 403, "forbidden_role")

    history = [m for m in await messages(runtime, rid) if m.kind == "system"]
    metas = [orjson.loads(m.meta or "{}") for m in history[-2:]]
    assert [(m["event"], m["member_id"], m["nickname"]) for m in metas] == [
        ("role", owner.id, "Ho_owner"),
        ("owner", heir.id, "Ho_heir"),
    ]
    async with runtime.db.sessions() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "room.owner"))
        )
    assert [(e.actor_id, e.target_id, e.room_id) for e in entries] == [(owner.id, heir.id, rid)]


async def test_system_messages_carry_the_names_of_member_and_actor(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, guest = await signup(client, "sm_owner"), await signup(client, "sm_guest")
    rid = (await create_room(client, owner))["id"]
    await add_member(client, owner, rid, guest)
    banned = await client.post(
        f"{API}/rooms/{rid}/bans", json={"member_id": guest.id}, headers=owner.headers
    )
    assert banned.status_code == 201
    metas = [orjson.loads(m.meta or "{}") for m in await messages(runtime, rid) if m.meta]
    by_event = {meta["event"]: meta for meta in metas}
    assert by_event["invite"]["nickname"] == "Sm_guest"
    assert by_event["invite"]["by_nickname"] == "Sm_owner"
    assert by_event["join"]["nickname"] == "Sm_guest"
    assert by_event["ban"] == {
        "event": "ban",
        "member_id": guest.id,
        "nickname": "Sm_guest",
        "role": None,
        "by": owner.id,
        "by_nickname": "Sm_owner",
    }
