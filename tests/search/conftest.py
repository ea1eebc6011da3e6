"""Search tests: a server that lets one member send fast, and helpers to build rooms."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from parley.core.config import Settings
from tests.support.api import Account
from tests.support.services import test_settings

_ids = itertools.count(1)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return test_settings(db_url, send_rate=100_000.0, send_burst=1_000_000.0)


async def make_room(client: httpx.AsyncClient, owner: Account, **extra: Any) -> int:
    response = await client.post(
        "/api/v1/rooms", json={"name": f"search room {next(_ids)}", **extra}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def join(client: httpx.AsyncClient, member: Account, room_id: int) -> None:
    response = await client.post(f"/api/v1/rooms/{room_id}/join", headers=member.headers)
    assert response.status_code == 200, response.text


async def send(
    client: httpx.AsyncClient, member: Account, room_id: int, body: str, to: int | None = None
) -> int:
    payload: dict[str, Any] = {"body": body, "client_msg_id": f"s{next(_ids)}"}
    if to is not None:
        payload["to"] = to
    response = await client.post(
        f"/api/v1/rooms/{room_id}/messages", json=payload, headers=member.headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def search_all(
    client: httpx.AsyncClient, member: Account, limit: int = 20, **params: Any
) -> list[dict[str, Any]]:
    """Every hit, following next_cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/search/messages", params=query, headers=member.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("search did not end")
