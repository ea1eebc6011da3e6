"""Helpers of the transfer tests: an instance filled over HTTP, the CLI, table dumps."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from parley.app import create_app
from parley.core.config import Settings
from parley.core.database import create_engine
from parley.core.runtime import Runtime
from parley.rooms.models import RoomBan, RoomMember
from parley.transfer.tables import carried_tables
from tests.rooms.support import API, add_member, create_room, site_admin
from tests.support.api import PASSWORD, Account, signup
from tests.support.services import test_settings

SECRET = "test-secret-key-" + "x" * 32


def png() -> bytes:
    """A small real PNG (Pillow): the upload gets a thumbnail too."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def env_for(url: str, files_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PARLEY_DATABASE_URL": url,
        "PARLEY_FILES_DIR": str(files_dir),
        "PARLEY_DATA_DIR": str(files_dir.parent),
        "PARLEY_SECRET_KEY": SECRET,
        "PARLEY_ARGON2_TIME_COST": "1",
        "PARLEY_ARGON2_MEMORY_KIB": "1024",
        "PARLEY_ARGON2_PARALLELISM": "1",
    }


def parley(*args: str, url: str, files_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the real `parley` command (a process of its own, as an operator would)."""
    return subprocess.run(
        [sys.executable, "-m", "parley", *args],
        env=env_for(url, files_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )


def settings_for(url: str, files_dir: Path) -> Settings:
    return test_settings(url, files_dir=files_dir, data_dir=files_dir.parent)


@asynccontextmanager
async def instance(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    runtime = Runtime.build(settings)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield http, runtime
    finally:
        await runtime.close()


@dataclass
class Filled:
    accounts: dict[str, Account] = field(default_factory=dict)
    rooms: dict[str, int] = field(default_factory=dict)
    file_id: int = 0


async def _send(http: httpx.AsyncClient, who: Account, room: int, body: str, **extra: Any) -> int:
    response = await http.post(
        f"{API}/rooms/{room}/messages",
        json={"body": body, "client_msg_id": f"c{who.id}-{body[:20]}", **extra},
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    message_id: int = response.json()["id"]
    return message_id


async def fill(http: httpx.AsyncClient, runtime: Runtime) -> Filled:
    """Members, rooms of both kinds, roles, bans, invites, messages, a whisper, read markers,
    a file with its thumbnail, a notice, friends, a block, a direct room; a withdrawn member
    last, so the members counter runs ahead of the largest id."""
    out = Filled()
    admin = await site_admin(http, runtime, "siteboss")
    alice, bob, carol, dave = [await signup(http, n) for n in ("alice", "bob", "carol", "dave")]
    out.accounts = {"siteboss": admin, "alice": alice, "bob": bob, "carol": carol, "dave": dave}
    hall = (await create_room(http, alice, name="Hall", topic="everyone"))["id"]
    den = (await create_room(http, alice, name="Den", is_private=True))["id"]
    out.rooms = {"hall": hall, "den": den}
    for who in (bob, carol, dave):
        await add_member(http, alice, hall, who)
    await add_member(http, alice, den, carol)
    # the role and the ban straight in the tables: what is compared is that they travel
    async with runtime.db.transaction() as session:
        await session.execute(
            update(RoomMember)
            .where(RoomMember.room_id == den, RoomMember.member_id == carol.id)
            .values(role="admin")
        )
        session.add(RoomBan(room_id=hall, member_id=dave.id, banned_by=alice.id, reason="spam"))
    assert (
        await http.post(
            f"{API}/rooms/{den}/invites", json={"member_id": bob.id}, headers=carol.headers
        )
    ).status_code == 201
    sent = [
        await _send(http, alice if n % 2 else bob, hall, f"hello {n} — 안녕 ✓") for n in range(5)
    ]
    # a message's life: a reply, a reaction, an edit, a pin
    await _send(http, carol, hall, "a reply", reply_to=sent[0])
    message = f"{API}/rooms/{hall}/messages/{sent[1]}"
    assert (await http.put(f"{message}/reactions/👍", headers=carol.headers)).status_code < 300
    edited = await http.patch(message, json={"body": "hello 1, edited"}, headers=alice.headers)
    assert edited.status_code == 200, edited.text
    pinned = await http.put(f"{API}/rooms/{hall}/pins/{sent[2]}", headers=alice.headers)
    assert pinned.status_code < 300, pinned.text
    await _send(http, alice, hall, "psst carol", to=carol.id)
    uploaded = await http.post(
        f"{API}/files", files={"file": ("dot.png", png(), "image/png")}, headers=bob.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    out.file_id = uploaded.json()["id"]
    await _send(http, bob, hall, "a picture", attachments=[out.file_id])
    assert (
        await http.post(f"{API}/rooms/{hall}/read", json={"seq": 4}, headers=carol.headers)
    ).status_code == 200
    notice = await http.post(
        f"{API}/notices", json={"title": "Welcome", "body": "**be kind**"}, headers=admin.headers
    )
    assert notice.status_code == 201, notice.text
    assert (
        await http.post(f"{API}/me/friends", json={"member_id": carol.id}, headers=bob.headers)
    ).status_code == 201
    assert (
        await http.post(f"{API}/me/friends/{bob.id}/accept", headers=carol.headers)
    ).status_code == 204
    assert (
        await http.post(f"{API}/me/friends", json={"member_id": alice.id}, headers=carol.headers)
    ).status_code == 201
    assert (await http.post(f"{API}/me/blocks/{bob.id}", headers=dave.headers)).status_code == 201
    dm = await http.post(f"{API}/dms", json={"member_id": bob.id}, headers=alice.headers)
    assert dm.status_code == 200, dm.text
    out.rooms["dm"] = dm.json()["id"]
    await _send(http, alice, out.rooms["dm"], "just us")
    gone = await signup(http, "gone")
    withdrawn = await http.request(
        "DELETE", f"{API}/me", json={"password": PASSWORD}, headers=gone.headers
    )
    assert withdrawn.status_code == 204, withdrawn.text
    return out


async def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every carried table's rows in key order, comparable across backends."""
    engine = create_engine(test_settings(url))
    try:
        async with engine.connect() as conn:
            tables = {}
            for table in carried_tables():
                rows = await conn.execute(select(table).order_by(*table.primary_key.columns))
                tables[table.name] = [tuple(row) for row in rows]
            return tables
    finally:
        await engine.dispose()


def files_of(files_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(files_dir)): path.read_bytes()
        for path in sorted(files_dir.rglob("*"))
        if path.is_file() and ".staging" not in path.parts
    }
