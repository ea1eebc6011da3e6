"""A local push service and parley processes that may push to it (insecure endpoints on)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from tests.realtime.conftest import FAST_ENV
from tests.support.push_service import PushService, running_push_service
from tests.support.server import ServerProcess, running_server
from tests.support.ws import Member, Server

_ids = itertools.count(1)
PUSH_ENV = {**FAST_ENV, "PARLEY_ALLOW_INSECURE_ENDPOINTS": "true"}


@pytest.fixture(scope="package")
def push_service() -> Iterator[PushService]:
    with running_push_service() as service:
        yield service


@pytest.fixture(scope="package")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("notify"), env=PUSH_ENV) as process:
        yield process


@pytest.fixture
async def server(server_process: ServerProcess, push_service: PushService) -> AsyncIterator[Server]:
    client = Server(server_process.base_url)
    push_service.expected_key = (await client.http.get("/push/vapid-key")).json()["public_key"]
    try:
        yield client
    finally:
        await client.close()


async def wait_for(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll until `predicate()` (a value or an awaitable) is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def subscribe(server: Server, member: Member, push: PushService) -> dict[str, Any]:
    """A browser subscription for `member`, registered with the server; adds its `id`."""
    subscription = push.subscription()
    answer = await server.http.post(
        "/me/push-subscriptions", json=subscription, headers=member.headers
    )
    assert answer.status_code == 201, answer.text
    return {**subscription, "id": answer.json()["id"]}


async def send(server: Server, member: Member, room_id: int, body: str) -> None:
    answer = await server.http.post(
        f"/rooms/{room_id}/messages",
        json={"body": body, "client_msg_id": f"p{next(_ids)}"},
        headers=member.headers,
    )
    assert answer.status_code == 201, answer.text


async def dm(server: Server, a: Member, b: Member) -> int:
    answer = await server.http.post("/dms", json={"member_id": b.id}, headers=a.headers)
    assert answer.status_code in (200, 201), answer.text
    room_id: int = answer.json()["id"]
    return room_id


async def set_level(
    server: Server, member: Member, room_id: int, notify: str, muted_until: str | None = None
) -> None:
    answer = await server.http.put(
        f"/me/rooms/{room_id}/settings",
        json={"notify": notify, "muted_until": muted_until},
        headers=member.headers,
    )
    assert answer.status_code == 200, answer.text
