"""The mentions page: login required; lists what mentions me (by name or `<@room>`) across my
rooms, newest first, as escaped plain text linking to the message; pages with `before_id`."""

from __future__ import annotations

import re

import httpx

from tests.web.conftest import create_room, csrf
from tests.web.test_friends_page import _fresh, _log_in
from tests.web.test_pages import _check_headers, _check_no_inline_script


async def _post(client: httpx.AsyncClient, room: int, body: str, key: str) -> None:
    response = await client.post(
        f"/api/v1/rooms/{room}/messages",
        headers={"X-CSRF-Token": csrf(client)},
        json={"body": body, "client_msg_id": key},
    )
    assert response.status_code == 201, response.text


async def test_mentions_page_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/mentions")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/mentions"


async def test_mentions_are_listed_newest_first_escaped_and_linked(
    client: httpx.AsyncClient,
) -> None:
    reader_login, reader = await _fresh(client, "Reader")
    empty = await client.get("/mentions")
    assert "Nobody has mentioned you yet" in empty.text
    writer_login, _ = await _fresh(client, "<b>Writer</b>")
    room = await create_room(client, "mention-room")
    await _log_in(client, reader_login)
    joined = await client.post(f"/api/v1/rooms/{room}/join", headers={"X-CSRF-Token": csrf(client)})
    assert joined.status_code == 200, joined.text
    await _post(client, room, f"my own note <@{reader}>", "own")  # not listed: mine
    await _log_in(client, writer_login)
    await _post(client, room, f"hi <@{reader}> **look** <script>alert(1)</script>", "m1")
    await _post(client, room, "nobody named here", "m2")
    await _post(client, room, "<@room> standup in 5", "m3")

    await _log_in(client, reader_login)
    page = await client.get("/mentions")
    assert page.status_code == 200
    _check_headers(page)
    _check_no_inline_script(page.text)
    texts = re.findall(r'<span class="search-body">(.*?)</span>', page.text, re.S)
    assert texts == ["@room standup in 5", "hi @Reader look &lt;script&gt;alert(1)&lt;/script&gt;"]
    assert "<script>alert" not in page.text and "<b>Writer</b>" not in page.text
    assert "&lt;b&gt;Writer&lt;/b&gt;" in page.text
    assert re.findall(r'href="(/rooms/\d+#msg-\d+)"', page.text)[0].startswith(f"/rooms/{room}#")
    assert page.text.count('class="badge"') == 1  # the @room one

    # a mention in a room I left is no longer mine to see
    left = await client.post(f"/api/v1/rooms/{room}/leave", headers={"X-CSRF-Token": csrf(client)})
    assert left.status_code == 204, left.text
    assert "Nobody has mentioned you yet" in (await client.get("/mentions")).text


async def test_mentions_page_pages_and_refuses_bad_cursors(client: httpx.AsyncClient) -> None:
    reader_login, reader = await _fresh(client, "Pager")
    writer_login, _ = await _fresh(client, "Talker")
    room = await create_room(client, "paging-room")
    await _log_in(client, reader_login)
    await client.post(f"/api/v1/rooms/{room}/join", headers={"X-CSRF-Token": csrf(client)})
    await _log_in(client, writer_login)
    for n in range(31):
        await _post(client, room, f"ping {n} <@{reader}>", f"p{n}")
    await _log_in(client, reader_login)
    first = await client.get("/mentions")
    older = re.search(r'href="/mentions\?before_id=(\d+)"', first.text)
    assert older and first.text.count("mentions-found-item") == 30
    second = await client.get(f"/mentions?before_id={older.group(1)}")
    assert second.text.count("mentions-found-item") == 1 and "ping 0 @Pager" in second.text
    assert not re.search(r'href="/mentions\?before_id=', second.text)
    for bad in ("abc", "0", str(2**70), "-1"):
        assert (await client.get(f"/mentions?before_id={bad}")).status_code in (400, 422)
