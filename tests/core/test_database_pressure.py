"""Many requests at once on the embedded SQLite database: they queue, none fails with a 500."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from parley.core.config import Settings
from tests.support.api import signup
from tests.support.services import test_settings

API = "/api/v1"


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Forty sign-ins from one address: lift the per-address login throttle."""
    return test_settings(db_url, login_attempts_per_address=10_000)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_forty_concurrent_joins_all_succeed(client: httpx.AsyncClient) -> None:
    owner = await signup(client)
    room = await client.post(
        f"{API}/rooms", json={"name": "crowded", "is_private": False}, headers=owner.headers
    )
    assert room.status_code == 201
    members = [await signup(client) for _ in range(40)]
    responses = await asyncio.gather(
        *(client.post(f"{API}/rooms/{room.json()['id']}/join", headers=m.headers) for m in members)
    )
    assert [r.status_code for r in responses] == [200] * 40, [r.text for r in responses][:3]
    detail = await client.get(f"{API}/rooms/{room.json()['id']}", headers=owner.headers)
    assert detail.json()["member_count"] == 41
