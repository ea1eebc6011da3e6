"""A database outage mid-session costs frames, never the socket.

One server on a private PostgreSQL. First each frame that needs the database (subscribe,
read, call) loses its connection in the middle of its query (the backend is terminated
while it waits on a lock: SQLAlchemy's DBAPIError, not an OSError); then PostgreSQL is
stopped (connections refused). Every such frame is answered `error {code: "unavailable"}`
and the same socket keeps answering pings; once PostgreSQL is back the same socket
subscribes, reads and calls again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from tests.chaos.conftest import in_thread
from tests.chaos.support import PrivatePostgres, migrated_database
from tests.realtime.conftest import FAST_ENV
from tests.support.server import start_server
from tests.support.ws import Server, WsClient


async def _answer(client: WsClient, frame: dict[str, Any], room: int) -> dict[str, Any]:
    """The error about `room`, or the frame that says the request worked."""
    await client.send(frame)
    done = {"subscribe": "subscribed", "call": None, "read": None}[frame["type"]]
    return await client.next_matching(
        lambda f: (
            (f["type"] == "error" and f.get("ref") == room)
            or (done is not None and f["type"] == done and f.get("room_id") == room)
        ),
        timeout=15,
    )


@asynccontextmanager
async def _members_locked(postgres: PrivatePostgres, database: str) -> AsyncIterator[None]:
    """Hold an exclusive lock on the membership table (every frame below reads it first)."""
    admin = await asyncpg.connect(
        host="127.0.0.1", port=postgres.port, user="postgres", database=database
    )
    try:
        async with admin.transaction():
            await admin.execute("LOCK TABLE room_members IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        await admin.close()


async def _cut_waiting_connections(postgres: PrivatePostgres, database: str) -> None:
    """Terminate the server's backends once one of them waits on the lock."""
    admin = await asyncpg.connect(
        host="127.0.0.1", port=postgres.port, user="postgres", database="postgres"
    )
    try:
        for _ in range(200):
            waiting = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = $1 AND wait_event_type = 'Lock'",
                database,
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the frame's query never reached the database"
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND wait_event_type = 'Lock'",
            database,
        )
    finally:
        await admin.close()


async def _until_subscribed(client: WsClient, room: int, timeout: float = 40) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        answer = await _answer(client, {"type": "subscribe", "room_id": room}, room)
        if answer["type"] == "subscribed":
            return
        assert answer["code"] == "unavailable", answer
        assert loop.time() < deadline, "the database never came back for this socket"
        await asyncio.sleep(0.3)


async def test_a_stopped_database_answers_unavailable_and_keeps_the_socket(
    tmp_path: Path, private_postgres: PrivatePostgres
) -> None:
    url = await in_thread(migrated_database, private_postgres.admin_url, "parley_outage")
    assert isinstance(url, str)
    process = start_server(tmp_path / "server", env={**FAST_ENV, "PARLEY_DATABASE_URL": url})
    server = Server(process.base_url)
    try:
        alice, bob = await server.member(), await server.member()
        room = await server.room(alice, bob)
        a, b = await server.connect(alice), await server.connect(bob)
        await a.subscribe(room)
        frames = [
            {"type": "subscribe", "room_id": room},
            {"type": "read", "room_id": room, "seq": 1},
            {"type": "call", "room_id": room, "to": bob.id, "action": "request"},
        ]

        for frame in frames:  # the connection is lost in the middle of the frame's query
            async with _members_locked(private_postgres, "parley_outage"):
                await a.send(frame)
                await _cut_waiting_connections(private_postgres, "parley_outage")
            answer = await a.next_matching(lambda f: f.get("ref") == room, timeout=15)
            assert answer["type"] == "error" and answer["code"] == "unavailable", (frame, answer)
            await a.send({"type": "ping", "id": f"cut {frame['type']}"})
            await a.expect("pong", id=f"cut {frame['type']}")
        await _until_subscribed(a, room)

        await in_thread(private_postgres.stop)
        for frame in frames:  # no database at all: connections are refused
            answer = await _answer(a, frame, room)
            assert answer["type"] == "error" and answer["code"] == "unavailable", (frame, answer)
            await a.send({"type": "ping", "id": frame["type"]})
            await a.expect("pong", id=frame["type"])  # the same socket, still serving

        await in_thread(private_postgres.start)
        await _until_subscribed(a, room)
        await a.send({"type": "read", "room_id": room, "seq": 1})
        await a.send({"type": "call", "room_id": room, "to": bob.id, "action": "request"})
        called = await b.expect("call", room_id=room, timeout=15)
        assert called["from"] == alice.id
        assert not [f for f in a.unread if f["type"] == "error" and f["code"] != "unavailable"]
        assert process.process.poll() is None
    finally:
        await server.close()
        process.stop()
