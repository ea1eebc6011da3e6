"""Races that must not break the room invariants, on every database."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from parley.core.runtime import Runtime
from parley.rooms.models import RoomMember
from tests.rooms.support import API, add_member, create_room, join, room_row
from tests.support.api import Account, assert_problem, signup


async def _members(runtime: Runtime, room_id: int) -> list[RoomMember]:
    async with runtime.db.sessions() as session:
        rows = await session.scalars(select(RoomMember).where(RoomMember.room_id == room_id))
        return list(rows)


async def _accounts(client: httpx.AsyncClient, count: int) -> list[Account]:
    return [await signup(client) for _ in range(count)]


async def test_parallel_joins_never_exceed_capacity(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, *joiners = await _accounts(client, 7)
    room = await create_room(client, owner, capacity=3)
    responses = await asyncio.gather(*(join(client, a, room["id"]) for a in joiners))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 409, 409, 409, 409], statuses
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "room_full")
    stored = await room_row(runtime, room["id"])
    assert stored is not None and stored.member_count == 3
    assert len(await _members(runtime, room["id"])) == 3
    assert stored.last_seq == 2  # one system message per successful join


async def test_parallel_creates_with_one_name_in_different_cases(
    client: httpx.AsyncClient,
) -> None:
    owners = await _accounts(client, 4)
    names = ("Lobby", "LOBBY", "lobby", "\uff2c\uff2f\uff22\uff22\uff39")  # last: full width
    responses = await asyncio.gather(
        *(
            client.post(f"{API}/rooms", json={"name": name}, headers=owner.headers)
            for owner, name in zip(owners, names, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "room_name_taken")
    found = (await client.get(f"{API}/rooms?q=lobby", headers=owners[0].headers)).json()
    assert len(found["items"]) == 1 and found["items"][0]["member_count"] == 1


async def test_owner_leaving_while_others_join_leaves_exactly_one_owner(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, veteran, *joiners = await _accounts(client, 7)
    room = await create_room(client, owner)
    await add_member(client, owner, room["id"], veteran)
    leave = client.post(f"{API}/rooms/{room['id']}/leave", headers=owner.headers)
    responses = await asyncio.gather(leave, *(join(client, a, room["id"]) for a in joiners))
    assert [r.status_code for r in responses] == [204] + [200] * len(joiners)
    members = await _members(runtime, room["id"])
    assert [m.member_id for m in members if m.role == "owner"] == [veteran.id]
    stored = await room_row(runtime, room["id"])
    assert stored is not None and stored.member_count == len(members) == 1 + len(joiners)


async def test_parallel_leaves_of_the_last_members_delete_the_room_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, *others = await _accounts(client, 4)
    room = await create_room(client, owner)
    for account in others:
        assert (await join(client, account, room["id"])).status_code == 200
    responses = await asyncio.gather(
        *(
            client.post(f"{API}/rooms/{room['id']}/leave", headers=a.headers)
            for a in (owner, *others)
        )
    )
    assert [r.status_code for r in responses] == [204] * 4
    assert await room_row(runtime, room["id"]) is None
    async with runtime.db.sessions() as session:
        left = await session.scalar(select(func.count()).where(RoomMember.room_id == room["id"]))
    assert left == 0
