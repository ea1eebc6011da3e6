"""GET /search/messages: Korean substrings, phrases, filters, highlights, cursors."""

from __future__ import annotations

import httpx

from tests.search.conftest import make_room, search_all, send
from tests.support.api import signup


async def test_korean_short_terms_and_highlights(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    room = await make_room(client, alice)
    bodies = [
        "회의는 3시",
        "내일회의",
        "회의실 예약",
        "점심 뭐 먹지",
        "\uff24\uff22 서버 점검",
        "회 먹자",
    ]
    ids = [await send(client, alice, room, body) for body in bodies]

    hits = await search_all(client, alice, q="회의")
    assert [h["message"]["id"] for h in hits] == [ids[2], ids[1], ids[0]]
    assert hits[0]["room"]["id"] == room and hits[0]["room"]["kind"] == "group"
    assert [h["highlights"] for h in hits] == [[[0, 2]], [[2, 4]], [[0, 2]]]

    one = await search_all(client, alice, q="회")
    assert {h["message"]["id"] for h in one} == {ids[0], ids[1], ids[2], ids[5]}

    db = await search_all(client, alice, q="db")
    assert [h["message"]["id"] for h in db] == [ids[4]]
    assert db[0]["highlights"] == [[0, 2]]

    phrase = await search_all(client, alice, q='"db 서버"')
    assert [h["message"]["id"] for h in phrase] == [ids[4]]
    assert await search_all(client, alice, q='"서버 db"') == []
    both = await search_all(client, alice, q="회의 예약")
    assert [h["message"]["id"] for h in both] == [ids[2]]
    assert both[0]["highlights"] == [[0, 2], [4, 6]]


async def test_filters_and_pages(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    room, other = await make_room(client, alice), await make_room(client, alice)
    response = await client.post(f"/api/v1/rooms/{room}/join", headers=bob.headers)
    assert response.status_code == 200
    mine = [await send(client, alice, room, f"report {n}") for n in range(7)]
    bobs = await send(client, bob, room, "bob's report")
    elsewhere = await send(client, alice, other, "report elsewhere")

    hits = await search_all(client, alice, limit=3, q="report")
    assert [h["message"]["id"] for h in hits] == sorted([*mine, bobs, elsewhere], reverse=True)
    in_room = await search_all(client, alice, q="report", room_id=room)
    assert elsewhere not in {h["message"]["id"] for h in in_room}
    by_bob = await search_all(client, alice, q="report", sender_id=bob.id)
    assert [h["message"]["id"] for h in by_bob] == [bobs]
    assert await search_all(client, alice, q="report", has_file="true") == []
    created = hits[-1]["message"]["created_at"]
    later = await search_all(client, alice, q="report", after=created)
    assert mine[0] not in {h["message"]["id"] for h in later}
    assert await search_all(client, alice, q="report", before=created) == []
