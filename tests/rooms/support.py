"""Helpers for room tests: rooms made over HTTP, site admins, and peeks at the database."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from sqlalchemy import select

from parley.accounts import service as accounts
from parley.chat.models import Message
from parley.core.runtime import Runtime
from parley.rooms.models import Room
from tests.support.api import PASSWORD, Account, login

API = "/api/v1"
_names = itertools.count(1)


async def create_room(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"name": f"room {next(_names)}", **fields}
    response = await client.post(f"{API}/rooms", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    room: dict[str, Any] = response.json()
    return room


async def join(client: httpx.AsyncClient, account: Account, room_id: int) -> httpx.Response:
    return await client.post(f"{API}/rooms/{room_id}/join", headers=account.headers)


async def invite(
    client: httpx.AsyncClient, inviter: Account, room_id: int, member_id: int
) -> httpx.Response:
    return await client.post(
        f"{API}/rooms/{room_id}/invites", json={"member_id": member_id}, headers=inviter.headers
    )


async def add_member(
    client: httpx.AsyncClient, owner: Account, room_id: int, member: Account, role: str = "member"
) -> None:
    """Bring `member` into the room (inviting first: works for private rooms too)."""
    assert (await invite(client, owner, room_id, member.id)).status_code == 201
    assert (await join(client, member, room_id)).status_code == 200
    if role != "member":
        response = await client.patch(
            f"{API}/rooms/{room_id}/members/{member.id}", json={"role": role}, headers=owner.headers
        )
        assert response.status_code == 200, response.text


async def site_admin(client: httpx.AsyncClient, runtime: Runtime, login_id: str) -> Account:
    async with runtime.db.sessions() as session:
        await accounts.create_admin(session, runtime, login_id, login_id.title(), PASSWORD)
    return await login(client, login_id)


async def messages(runtime: Runtime, room_id: int) -> list[Message]:
    async with runtime.db.sessions() as session:
        rows = await session.scalars(
            select(Message).where(Message.room_id == room_id).order_by(Message.seq)
        )
        return list(rows)


async def room_row(runtime: Runtime, room_id: int) -> Room | None:
    async with runtime.db.sessions() as session:
        return await session.get(Room, room_id)


def member_frames(frames: list[dict[str, Any]]) -> list[tuple[str, int, str | None]]:
    return [
        (f["event"], f["member"]["id"], f["member"]["role"])
        for f in frames
        if f["type"] == "member"
    ]
