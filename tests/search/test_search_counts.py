"""The posting counts (`search_gram_counts`): kept in step with the grams by the indexer,
recounted by a rebuild, and only ever a hint: wrong counts change which gram is read first,
never the answer."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from parley.core.runtime import Runtime
from parley.search.api import reindex
from tests.search.conftest import make_room, search_all, send
from tests.support.api import signup

API = "/api/v1"


async def _counts(runtime: Runtime) -> tuple[dict[int, int], dict[int, int]]:
    """(the kept counts without zeros, the counts of the grams table), from one statement:
    one snapshot, even while the app's own indexer commits a batch `reindex` skipped."""
    both = text(
        "SELECT 0, gram, postings FROM search_gram_counts"
        " UNION ALL SELECT 1, gram, COUNT(*) FROM search_grams GROUP BY gram"
    )
    async with runtime.db.engine.connect() as conn:
        rows = (await conn.execute(both)).all()
    kept = {int(g): int(n) for part, g, n in rows if part == 0 and n}
    return kept, {int(g): int(n) for part, g, n in rows if part == 1}


async def test_counts_follow_sends_edits_and_deletes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice = await signup(client)
    room = await make_room(client, alice)
    first = await send(client, alice, room, "회의실 예약 회의")
    second = await send(client, alice, room, "회의 내일 DB 점검")
    await reindex(runtime.db, everything=False)
    kept, actual = await _counts(runtime)
    assert kept == actual and actual

    path = f"{API}/rooms/{room}/messages"
    edited = await client.patch(f"{path}/{first}", json={"body": "점검 끝"}, headers=alice.headers)
    assert edited.is_success, edited.text
    deleted = await client.delete(f"{path}/{second}", headers=alice.headers)
    assert deleted.is_success, deleted.text
    await reindex(runtime.db, everything=False)
    kept, actual = await _counts(runtime)
    assert kept == actual


async def test_wrong_counts_change_nothing_and_a_rebuild_recounts(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice = await signup(client)
    room = await make_room(client, alice)
    bodies = ["서버 점검 공지", "서버 회의", "점검 완료", "공지 서버 점검 내일", "server check"]
    ids = [await send(client, alice, room, body) for body in bodies]
    await reindex(runtime.db, everything=False)
    expected = {
        q: await search_all(client, alice, limit=2, q=q)
        for q in ("서버 점검", "점검 공지", "server", "버 점")
    }
    assert [h["message"]["id"] for h in expected["서버 점검"]] == [ids[3], ids[0]]
    async with runtime.db.engine.begin() as conn:  # as if every count were stale
        await conn.execute(text("UPDATE search_gram_counts SET postings = gram % 7"))
        await conn.execute(text("DELETE FROM search_gram_counts WHERE gram % 3 = 0"))
    for q, hits in expected.items():
        assert await search_all(client, alice, limit=2, q=q) == hits, q

    await reindex(runtime.db)
    kept, actual = await _counts(runtime)
    assert kept == actual
