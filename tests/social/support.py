"""Helpers of the social tests: friend, block and DM calls over HTTP."""

from __future__ import annotations

import httpx

from tests.support.api import Account

API = "/api/v1"


async def befriend(client: httpx.AsyncClient, a: Account, b: Account) -> None:
    """Make `a` and `b` friends (a asks, b accepts)."""
    asked = await client.post(f"{API}/me/friends", json={"member_id": b.id}, headers=a.headers)
    assert asked.status_code == 201, asked.text
    accepted = await client.post(f"{API}/me/friends/{a.id}/accept", headers=b.headers)
    assert accepted.status_code == 204, accepted.text


async def block(client: httpx.AsyncClient, blocker: Account, blocked: Account) -> httpx.Response:
    return await client.post(f"{API}/me/blocks/{blocked.id}", headers=blocker.headers)


async def open_dm(client: httpx.AsyncClient, me: Account, other: Account) -> httpx.Response:
    return await client.post(f"{API}/dms", json={"member_id": other.id}, headers=me.headers)


async def friends(client: httpx.AsyncClient, account: Account) -> dict[str, list[int]]:
    """The caller's friends and open requests, as member ids."""
    response = await client.get(f"{API}/me/friends", headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return {key: [item["member"]["id"] for item in body[key]] for key in body}
