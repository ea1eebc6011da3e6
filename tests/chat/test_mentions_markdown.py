"""Mentions resolved at write time and Markdown rendered to sanitised HTML, with hostile
input: markup and script in bodies, tokens for non-members, thousands of tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.chat.render import markdown_html, parsed_html, render
from tests.chat.support import change, item, message_path, say
from tests.support.ws import Server

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![pic](https://example.com/a.png)",
    '<a href="https://x" onclick="alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=https://evil>",
    "`<script>`",
    "```\n<script>alert(1)</script>\n```",
    "<@1 onmouseover=alert(1)>",
    "**<b onclick=x>bold</b>**",
    "<style>body{display:none}</style>",
    '[a](https://x "title" onclick=alert(1))',
]


@pytest.mark.parametrize("body", HOSTILE)
def test_html_never_carries_script_handlers_javascript_or_images(body: str) -> None:
    html = render(body, {1: '"><script>alert(1)</script>'}, True)
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<svg" not in lowered
    assert "<iframe" not in lowered and "<style" not in lowered
    # such text may show, but never as a link target
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*(javascript|data|vbscript):", lowered)
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered), html


def test_markdown_subset_and_links() -> None:
    html = render("**b** _i_ ~~s~~ `c`\n> q\n- a\n- b\n\nsee [it](https://example.com)")
    for tag in ("<strong>b</strong>", "<em>i</em>", "<del>s</del>", "<code>c</code>"):
        assert tag in html
    assert "<blockquote>" in html and "<ul>" in html
    assert '<a href="https://example.com" rel="noopener nofollow ugc">it</a>' in html
    assert render("# not a heading") == "<p>not a heading</p>"  # chat has no headings
    assert render("www.example.com") == (
        '<p><a href="http://www.example.com" rel="noopener nofollow ugc">www.example.com</a></p>'
    )
    assert render("plain words, nothing else") == "<p>plain words, nothing else</p>"


async def test_mentions_resolve_for_members_only(server: Server) -> None:
    alice, bob, outsider = (
        await server.member(),
        await server.member("Bob <b>"),
        await server.member(),
    )
    room = await server.room(alice, bob)
    body = f"hi <@{bob.id}> and <@{outsider.id}> and <@999999999> and <@room>"
    sent = await say(server, alice, room, body)
    message = await item(server, alice, room, sent["id"])
    assert message["body"] == body  # tokens stay in the body
    assert message["mentions"] == [bob.id] and message["mentions_room"] is True
    html = message["html"]
    assert f'<span class="mention" data-member-id="{bob.id}">@Bob &lt;b&gt;</span>' in html
    assert f"&lt;@{outsider.id}&gt;" in html  # a non-member is left as text
    assert '<span class="mention mention-room">@room</span>' in html
    mine = (await server.http.get("/me/mentions", headers=bob.headers)).json()
    assert [m["id"] for m in mine["items"]] == [sent["id"]]
    # nobody is told of a mention they cannot see
    theirs = (await server.http.get("/me/mentions", headers=outsider.headers)).json()
    assert theirs["items"] == []
    # a whisper mentions only its two members
    whisper = await say(server, alice, room, f"<@{bob.id}> <@room>", to=bob.id)
    quiet = await item(server, alice, room, whisper["id"])
    assert quiet["mentions"] == [bob.id] and quiet["mentions_room"] is False
    # an edit resolves again
    status, edited = await change(
        server, alice, "PATCH", message_path(room, sent["id"]), body="nobody now"
    )
    assert status == 200 and edited["mentions"] == [] and edited["mentions_room"] is False
    listed = (await server.http.get("/me/mentions", headers=bob.headers)).json()["items"]
    assert [m["id"] for m in listed] == [whisper["id"]]


async def test_thousands_of_tokens_resolve_at_most_fifty(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    tokens = " ".join(f"<@{n}>" for n in range(10**6, 10**6 + 600))  # hundreds of strangers
    body = f"<@{bob.id}> {tokens}"[:4000]
    sent = await say(server, alice, room, body)
    message = await item(server, alice, room, sent["id"])
    assert message["mentions"] == [bob.id]  # the first 50 distinct are looked up, once
    assert message["html"].count("mention") == 1
    rows = (await server.http.get("/me/rooms", headers=bob.headers)).json()
    assert next(r for r in rows if r["id"] == room)["mentions"] == 1


async def test_room_mentions_in_big_rooms_are_for_moderators(server: Server) -> None:
    owner = await server.member()
    crowd = [await server.member() for _ in range(50)]
    room = await server.room(owner, *crowd)  # 51 members
    plain = await say(server, crowd[0], room, "<@room> look")
    assert (await item(server, owner, room, plain["id"]))["mentions_room"] is False
    loud = await say(server, owner, room, "<@room> look")
    assert (await item(server, owner, room, loud["id"]))["mentions_room"] is True
    rows: Any = (await server.http.get("/me/rooms", headers=crowd[1].headers)).json()
    assert next(r for r in rows if r["id"] == room)["mentions"] == 1


async def test_my_mentions_pages_newest_first(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    sent = [await say(server, alice, room, f"<@{bob.id}> {i}") for i in range(5)]
    first = (await server.http.get("/me/mentions", params={"limit": 2}, headers=bob.headers)).json()
    assert [m["id"] for m in first["items"]] == [sent[4]["id"], sent[3]["id"]]
    assert first["has_more"] is True
    rest = await server.http.get(
        "/me/mentions", params={"before_id": sent[3]["id"], "limit": 10}, headers=bob.headers
    )
    assert [m["id"] for m in rest.json()["items"]] == [s["id"] for s in sent[2::-1]]
    in_room = await server.http.get(
        "/me/mentions",
        params={"room_id": room, "before_seq": sent[1]["seq"]},
        headers=bob.headers,
    )
    assert [m["id"] for m in in_room.json()["items"]] == [sent[0]["id"]]
    bad = await server.http.get("/me/mentions", params={"before_seq": 3}, headers=bob.headers)
    assert bad.status_code == 422


_PIECES = [
    *"ab XY 12 .,?'\"()가나😀;/%${}^w:",
    "http",
    "HTTPS",
    "mailto",
    "xmpp",
    "ftp",
    "//",
    "www.",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=20).map("".join))
def test_the_plain_text_shortcut_is_exactly_what_the_parser_gives(body: str) -> None:
    body = body.strip()
    assert markdown_html(body) == parsed_html(body)


def test_a_colon_with_a_scheme_still_links() -> None:
    """Colons no longer send a body to the parser (`12:30`, the bench's `bench:123:xxx`);
    one that may start an autolink's scheme still does, so the link is made."""
    assert "href" in markdown_html("see https://example.com now")
    assert "href" in markdown_html("mailto:someone@example.com")
    assert markdown_html("meet at 12:30, ok") == "<p>meet at 12:30, ok</p>"
