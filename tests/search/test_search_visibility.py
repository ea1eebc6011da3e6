"""Who sees what (DESIGN §8), and an index that follows edits and deletions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from parley.core.runtime import Runtime
from parley.search.api import reindex
from tests.search.conftest import join, make_room, search_all, send
from tests.support.api import Account, signup

WORD = "감자칩"


async def _ids(
    client: httpx.AsyncClient, member: Account, q: str = WORD, **filters: Any
) -> set[int]:
    return {h["message"]["id"] for h in await search_all(client, member, q=q, **filters)}


@pytest.mark.parametrize("indexed", [False, True], ids=["queued", "indexed"])
async def test_authorisation_matrix(
    client: httpx.AsyncClient, runtime: Runtime, indexed: bool
) -> None:
    alice, bob, carol = await signup(client), await signup(client), await signup(client)
    shared = await make_room(client, bob)
    await join(client, alice, shared)
    await join(client, carol, shared)
    left = await make_room(client, bob)
    await join(client, alice, left)
    banned = await make_room(client, bob)
    await join(client, alice, banned)
    foreign = await make_room(client, bob)
    private = await make_room(client, bob, is_private=True)
    dm_ab = await client.post("/api/v1/dms", json={"member_id": bob.id}, headers=alice.headers)
    dm_bc = await client.post("/api/v1/dms", json={"member_id": carol.id}, headers=bob.headers)
    assert dm_ab.status_code == 200 and dm_bc.status_code == 200

    visible = {
        "shared": await send(client, bob, shared, f"{WORD} 공지"),
        "whisper to alice": await send(client, bob, shared, f"{WORD} 귓속말", to=alice.id),
        "whisper from alice": await send(client, alice, shared, f"{WORD} 답장", to=carol.id),
        "dm": await send(client, bob, dm_ab.json()["id"], f"{WORD} dm"),
    }
    hidden = {
        "whisper between others": await send(client, bob, shared, f"{WORD} 비밀", to=carol.id),
        "left room": await send(client, bob, left, f"{WORD} 나간 방"),
        "banned room": await send(client, bob, banned, f"{WORD} 차단된 방"),
        "room never joined": await send(client, bob, foreign, f"{WORD} 남의 방"),
        "private room": await send(client, bob, private, f"{WORD} 비공개"),
        "dm of others": await send(client, bob, dm_bc.json()["id"], f"{WORD} 남의 dm"),
    }
    response = await client.post(f"/api/v1/rooms/{left}/leave", headers=alice.headers)
    assert response.status_code == 204
    response = await client.post(
        f"/api/v1/rooms/{banned}/bans", json={"member_id": alice.id}, headers=bob.headers
    )
    assert response.status_code == 201, response.text
    if indexed:
        await reindex(runtime.db, everything=False)

    found = await _ids(client, alice)
    assert {name for name, i in visible.items() if i not in found} == set()
    assert {name for name, i in hidden.items() if i in found} == set()
    by_bob = await _ids(client, alice, f"{WORD} ", sender_id=bob.id)  # filters open no way round
    assert by_bob and not by_bob & set(hidden.values())
    carol_sees = await _ids(client, carol)
    assert visible["whisper to alice"] not in carol_sees
    assert hidden["whisper between others"] in carol_sees


@pytest.mark.parametrize("indexed", [False, True], ids=["queued", "indexed"])
async def test_edits_and_deletions_keep_the_index_in_step(
    client: httpx.AsyncClient, runtime: Runtime, indexed: bool
) -> None:
    alice = await signup(client)
    room = await make_room(client, alice)
    edited = await send(client, alice, room, "옛날 문구")
    emptied = await send(client, alice, room, "지울 문구")
    removed = await send(client, alice, room, "사라질 문구")
    await reindex(runtime.db, everything=False)
    assert await _ids(client, alice, "문구") == {edited, emptied, removed}
    async with runtime.db.engine.begin() as conn:  # an edit, a delete, retention
        await conn.execute(text(f"UPDATE messages SET body = '새 글귀' WHERE id = {edited}"))
        await conn.execute(text(f"UPDATE messages SET body = '' WHERE id = {emptied}"))
        await conn.execute(text(f"DELETE FROM messages WHERE id = {removed}"))
    if indexed:
        await reindex(runtime.db, everything=False)
    assert await _ids(client, alice, "문구") == set()
    assert await _ids(client, alice, "글귀") == {edited}
    assert await _ids(client, alice, "지울") == set()
