"""Helpers of the community tests: a site admin, and a member with a room."""

from __future__ import annotations

import httpx

from parley.accounts import service
from parley.core.runtime import Runtime
from tests.support.api import PASSWORD, Account, login

_admins = iter(range(1, 1_000_000))


async def make_admin(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    login_id = f"admin{next(_admins)}"
    async with runtime.db.sessions() as session:
        await service.create_admin(session, runtime, login_id, login_id, PASSWORD)
    return await login(client, login_id)


async def make_room(client: httpx.AsyncClient, owner: Account, *members: Account) -> int:
    response = await client.post(
        "/api/v1/rooms", json={"name": f"r-{owner.login_id}-{len(members)}"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    room_id: int = response.json()["id"]
    for member in members:
        joined = await client.post(f"/api/v1/rooms/{room_id}/join", headers=member.headers)
        assert joined.status_code == 200, joined.text
    return room_id


async def send(
    client: httpx.AsyncClient, member: Account, room_id: int, body: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/rooms/{room_id}/messages",
        json={"body": body, "client_msg_id": f"c-{body}"},
        headers=member.headers,
    )
