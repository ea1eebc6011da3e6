"""Messages with a life, through real Chromium against a real server (issue 12): edits with
the "edited" label seen live by another member, deletes leaving a tombstone for both (the
sender's and a moderator's), reaction chips toggling with counts for two members, a reply
quote jumping to an original out of view, mention autocomplete writing the token and the
mention highlighted for the mentioned member, pins, Markdown as the server's html, and
hostile bodies that never run. Screenshots at 360 and 1280 px in English and Korean go to
/tmp (not the repository)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.browser import (
    Watched,
    WebServer,
    log_in,
    open_page,
    send,
    sign_up,
    unique,
    wait_connected,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

#: outside the repository: screenshots are looked at, not committed
SHOTS = Path(tempfile.gettempdir()) / "parley-screenshots" / "messages"
SEEDED = 120  # more than two pages: the first message is out of view when the page opens


@dataclass
class Pair:
    """Alice owns a room, Bob is a member; both have it open."""

    alice: Watched
    bob: Watched
    alice_id: int
    bob_id: int
    alice_nick: str
    bob_nick: str
    alice_login: str
    bob_login: str
    room_id: int


def _member_id(server: WebServer, login: str) -> int:
    with server.api_login(login) as api:
        me: int = api.get("/api/v1/me").json()["id"]
    return me


@pytest.fixture
def pair(browser: Browser, web_server: WebServer) -> Iterator[Pair]:
    alice, bob = open_page(browser, web_server), open_page(browser, web_server)
    alice_login, bob_login = unique("alice"), unique("bob")
    alice_nick, bob_nick = unique("Alice"), unique("Bob")
    sign_up(alice.page, alice_login, alice_nick)
    sign_up(bob.page, bob_login, bob_nick)
    with web_server.api_login(alice_login) as api:
        room = api.post("/api/v1/rooms", json={"name": unique("life "), "topic": "issue 12"})
        room_id = room.json()["id"]
    with web_server.api_login(bob_login) as api:
        api.post(f"/api/v1/rooms/{room_id}/join").raise_for_status()
    for watched in (alice, bob):
        watched.page.goto(f"/rooms/{room_id}")
        wait_connected(watched.page)
    ids = _member_id(web_server, alice_login), _member_id(web_server, bob_login)
    yield Pair(alice, bob, *ids, alice_nick, bob_nick, alice_login, bob_login, room_id)
    alice.assert_clean()
    bob.assert_clean()
    alice.close()
    bob.close()


def message(page: Page, text: str) -> Locator:
    """The confirmed message whose body contains `text`."""
    return page.locator("#messages li.msg[data-seq]", has=page.locator(".msg-body", has_text=text))


def tool(page: Page, item: Locator, name: str) -> Locator:
    """A toolbar button of a message, opened with its "…" button (as on a phone)."""
    more = item.locator(".msg-more")
    if more.get_attribute("aria-expanded") != "true":
        more.click()
    button = item.locator(".msg-tools").get_by_role("button", name=name, exact=True)
    button.wait_for()
    # by its action from here on: Delete's label changes when pressed once
    action = button.get_attribute("data-action")
    return item.locator(f'.msg-tools [data-action="{action}"]')


def test_edit_and_delete_are_seen_live_by_the_other_member(pair: Pair) -> None:
    from playwright.sync_api import expect

    alice, bob = pair.alice.page, pair.bob.page
    send(alice, "first **draft** of it")
    on_bob = message(bob, "of it")
    expect(on_bob.locator(".msg-body strong")).to_have_text("draft")  # the server's html
    expect(message(alice, "of it")).to_have_count(1)

    # ↑ in the empty composer edits my last message; Enter saves
    composer = alice.get_by_role("textbox", name="Message", exact=True)
    composer.press("ArrowUp")
    editor = alice.get_by_role("textbox", name="Edit the message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("first **draft** of it")
    editor.fill("second _version_ of it")
    editor.press("Enter")
    expect(on_bob.locator(".msg-body em")).to_have_text("version")
    expect(on_bob.locator(".msg-edited")).to_have_text("(edited)")
    expect(message(alice, "second").locator(".msg-edited")).to_be_visible()
    expect(composer).to_be_focused()

    # Esc cancels an edit without a change
    edit = tool(alice, message(alice, "second"), "Edit")
    edit.click()
    alice.get_by_role("textbox", name="Edit the message").fill("never saved")
    alice.get_by_role("textbox", name="Edit the message").press("Escape")
    expect(alice.get_by_role("textbox", name="Edit the message")).to_have_count(0)
    expect(message(alice, "second version of it")).to_have_count(1)
    expect(message(alice, "never saved")).to_have_count(0)

    # the sender deletes (press twice): a tombstone for both
    delete = tool(alice, message(alice, "second"), "Delete")
    delete.click()
    expect(delete).to_have_text("Sure? Press again")
    delete.click()
    for page in (alice, bob):
        tomb = page.locator("#messages li.msg.deleted .msg-tombstone")
        expect(tomb).to_have_text("message deleted")
        expect(message(page, "second")).to_have_count(0)

    # the room owner deletes Bob's message: "deleted by a moderator" for both
    send(bob, "spam spam spam")
    expect(message(alice, "spam spam")).to_have_count(1)
    delete = tool(alice, message(alice, "spam spam"), "Delete")
    delete.click()
    delete.click()
    for page in (alice, bob):
        expect(page.locator(".msg-tombstone", has_text="deleted by a moderator")).to_have_count(1)
    # Bob may not edit or delete Alice's messages: no such buttons on his side
    send(alice, "alice only")
    mine_on_bob = message(bob, "alice only")
    mine_on_bob.locator(".msg-more").click()
    expect(mine_on_bob.locator(".msg-tools [data-action=edit]")).to_have_count(0)
    expect(mine_on_bob.locator(".msg-tools [data-action=delete]")).to_have_count(0)


def _chip(page: Page, text: str, emoji: str) -> Locator:
    return message(page, text).locator(f'.reaction[data-emoji="{emoji}"]')


def test_reaction_chips_toggle_with_counts_for_two_members(pair: Pair) -> None:
    from playwright.sync_api import expect

    alice, bob = pair.alice.page, pair.bob.page
    send(bob, "react to me")
    expect(message(alice, "react to me")).to_have_count(1)
    react = tool(alice, message(alice, "react to me"), "React")
    react.click()
    search = alice.get_by_role("searchbox", name="Search emoji")
    expect(search).to_be_focused()
    search.fill("thumbs up")
    search.press("Enter")  # the first match
    for page, pressed in ((alice, "true"), (bob, "false")):
        chip = _chip(page, "react to me", "👍")
        expect(chip.locator(".reaction-count")).to_have_text("1")
        expect(chip).to_have_attribute("aria-pressed", pressed)

    _chip(bob, "react to me", "👍").click()  # Bob joins in
    for page in (alice, bob):
        expect(_chip(page, "react to me", "👍").locator(".reaction-count")).to_have_text("2")
    expect(_chip(bob, "react to me", "👍")).to_have_attribute("aria-pressed", "true")

    _chip(alice, "react to me", "👍").click()  # Alice takes hers back
    for page in (alice, bob):
        expect(_chip(page, "react to me", "👍").locator(".reaction-count")).to_have_text("1")
    expect(_chip(alice, "react to me", "👍")).to_have_attribute("aria-pressed", "false")

    # a second emoji from the picker by keyboard (arrow keys in the grid)
    bob.locator(".reaction-add").first.click()
    bob.get_by_role("searchbox", name="Search emoji").fill("heart")
    bob.get_by_role("searchbox", name="Search emoji").press("ArrowDown")
    bob.keyboard.press("Enter")
    expect(message(alice, "react to me").locator(".reaction")).to_have_count(3)  # 👍 ❤️ +

    _chip(bob, "react to me", "👍").click()  # the last one: the chip goes away
    for page in (alice, bob):
        expect(_chip(page, "react to me", "👍")).to_have_count(0)


def test_a_reply_quote_jumps_to_an_original_out_of_view(pair: Pair, web_server: WebServer) -> None:
    from playwright.sync_api import expect

    with web_server.api_login(pair.alice_login) as api:
        first = None
        for n in range(1, SEEDED + 1):
            body = {"body": f"history {n:03d}", "client_msg_id": unique("h")}
            ack = api.post(f"/api/v1/rooms/{pair.room_id}/messages", json=body).json()
            first = first or ack
        assert first is not None
        reply = {
            "body": "answering the first",
            "client_msg_id": unique("r"),
            "reply_to": first["id"],
        }
        api.post(f"/api/v1/rooms/{pair.room_id}/messages", json=reply).raise_for_status()
    bob = pair.bob.page
    bob.reload()
    wait_connected(bob)
    answer = message(bob, "answering the first")
    quote = answer.locator(".msg-reply")
    expect(quote).to_contain_text("history 001")
    expect(message(bob, "history 001")).to_have_count(0)  # not loaded: far above
    quote.click()
    original = message(bob, "history 001")
    expect(original).to_be_in_viewport()
    expect(original).to_have_class(_has("flash"))
    expect(original).to_be_focused()
    # the gap between the page around it and the newest page fills as Bob scrolls down
    bob.evaluate("document.querySelector('#messages li.gap')?.scrollIntoView()")
    expect(message(bob, "history 060")).to_have_count(1)
    expect(bob.locator("#messages li.gap")).to_have_count(0)
    shown: list[int] = bob.eval_on_selector_all(
        "#messages li[data-seq]", "ns => ns.map(n => Number(n.dataset.seq))"
    )
    assert shown == sorted(set(shown))

    # a reply through the UI: Reply, then the quote for both
    alice = pair.alice.page
    tool(alice, message(alice, "answering the first"), "Reply").click()
    expect(alice.locator("#reply-target")).to_be_visible()
    send(alice, "a reply from the page")
    for page in (alice, bob):
        quote = message(page, "a reply from the page").locator(".msg-reply")
        expect(quote).to_contain_text("answering the first")
    expect(alice.locator("#reply-target")).to_be_hidden()


def _has(name: str) -> Any:
    return re.compile(rf"(^|\s){name}(\s|$)")


def test_mention_autocomplete_writes_the_token_and_highlights_for_the_mentioned(
    pair: Pair,
) -> None:
    from playwright.sync_api import expect

    alice, bob = pair.alice.page, pair.bob.page
    composer = bob.get_by_role("textbox", name="Message", exact=True)
    composer.press_sequentially("hey @" + pair.alice_nick[:4])
    option = bob.get_by_role("option", name=f"@{pair.alice_nick}")
    expect(option).to_be_visible()
    composer.press("Enter")  # picks the option, does not send
    expect(composer).to_have_value(f"hey <@{pair.alice_id}> ")
    composer.press_sequentially("look")
    composer.press("Enter")
    on_alice = message(alice, "look")
    expect(on_alice).to_have_class(_has("mentions-me"))
    expect(on_alice.locator(".mention.mention-me")).to_have_text(f"@{pair.alice_nick}")
    on_bob = message(bob, "look")
    expect(on_bob.locator(".mention")).to_have_text(f"@{pair.alice_nick}")
    expect(on_bob).not_to_have_class(_has("mentions-me"))


def test_pins_show_a_marker_and_a_list(pair: Pair) -> None:
    from playwright.sync_api import expect

    alice, bob = pair.alice.page, pair.bob.page
    send(bob, "worth pinning")
    expect(message(alice, "worth pinning")).to_have_count(1)
    bob.locator(".msg-more").last.click()
    expect(message(bob, "worth pinning").locator("[data-action=pin]")).to_have_count(0)
    tool(alice, message(alice, "worth pinning"), "Pin").click()
    for page in (alice, bob):
        expect(message(page, "worth pinning").locator(".msg-pinned")).to_have_text("📌 pinned")
    bob.locator("#pins summary").click()
    expect(bob.locator("#pins .pin-item", has_text="worth pinning")).to_be_visible()
    tool(alice, message(alice, "worth pinning"), "Unpin").click()
    expect(message(bob, "worth pinning").locator(".msg-pinned")).to_have_count(0)
    expect(bob.locator("#pins .pin-item")).to_have_count(0)


HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=2</script>",
    "[click](javascript:window.__pwned=3)",
    '**<svg onload="window.__pwned=4">**',
    "![x](https://example.invalid/x.png)",
    '<a href="javascript:window.__pwned=5">a</a> `<b onclick=x>`',
]


def test_hostile_bodies_never_run(pair: Pair) -> None:
    from playwright.sync_api import expect

    alice, bob = pair.alice.page, pair.bob.page
    for n, body in enumerate(HOSTILE):
        send(alice, f"x{n} {body}")
    for page in (alice, bob):
        expect(message(page, f"x{len(HOSTILE) - 1} ")).to_have_count(1)
        bodies = page.locator("#messages .msg-body")
        assert bodies.locator("img, script, svg, iframe").count() == 0
        hrefs = page.eval_on_selector_all("#messages .msg-body a", "as => as.map(a => a.href)")
        assert all(h.startswith(("http://", "https://")) for h in hrefs), hrefs
        handlers = page.eval_on_selector_all(
            "#messages *",
            "ns => ns.flatMap(n => [...n.attributes].map(a => a.name))"
            ".filter(a => a.startsWith('on'))",
        )
        assert handlers == []
    # an edit to a payload is just as inert, live
    composer = alice.get_by_role("textbox", name="Message", exact=True)
    composer.press("ArrowUp")
    editor = alice.get_by_role("textbox", name="Edit the message")
    editor.fill('<img src=y onerror="window.__pwned=6"> edited')
    editor.press("Enter")
    expect(message(bob, "edited").locator(".msg-edited")).to_be_visible()
    assert bob.locator("#messages img").count() == 0
    assert bob.evaluate("window.__pwned") is None


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_screenshots_at_360_and_1280(
    browser: Browser, web_server: WebServer, pair: Pair, locale: str
) -> None:
    from playwright.sync_api import expect

    alice = pair.alice.page
    send(
        pair.bob.page,
        "a **Markdown** message with `code` and a long link https://example.com/a/b/c",
    )
    send(alice, "short one")
    expect(message(alice, "short one")).to_have_count(1)
    tool(alice, message(alice, "Markdown"), "Pin").click()
    expect(message(alice, "Markdown").locator(".msg-pinned")).to_be_visible()
    with web_server.api_login(pair.bob_login) as api:
        target = message(alice, "short one").get_attribute("data-id")
        api.put(f"/api/v1/rooms/{pair.room_id}/messages/{target}/reactions/%F0%9F%91%8D")
        api.put(f"/api/v1/rooms/{pair.room_id}/messages/{target}/reactions/%F0%9F%8E%89")
        markdown = message(alice, "Markdown").get_attribute("data-id")
        reply = {"body": "a reply that quotes it", "client_msg_id": unique("q")}
        api.post(
            f"/api/v1/rooms/{pair.room_id}/messages", json={**reply, "reply_to": int(markdown or 0)}
        )
        gone = {"body": "soon gone", "client_msg_id": unique("g")}
        gone_id = api.post(f"/api/v1/rooms/{pair.room_id}/messages", json=gone).json()["id"]
        api.delete(f"/api/v1/rooms/{pair.room_id}/messages/{gone_id}")
    expect(message(alice, "short one").locator(".reaction")).to_have_count(3)
    expect(message(alice, "quotes it").locator(".msg-reply")).to_be_visible()
    send(pair.bob.page, f"ping <@{pair.alice_id}> please")
    tool(alice, message(alice, "Markdown"), "Reply").click()
    SHOTS.mkdir(parents=True, exist_ok=True)
    lang = locale[:2]
    for width in (360, 1280):
        viewer = open_page(browser, web_server, width=width, locale=locale)
        url = web_server.base_url
        # the helper logs in on the English form; then the page in the language under test
        viewer.context.add_cookies([{"name": "parley_lang", "value": "en", "url": url}])
        log_in(viewer.page, pair.alice_login)
        viewer.context.add_cookies([{"name": "parley_lang", "value": lang, "url": url}])
        viewer.page.goto(f"/rooms/{pair.room_id}")
        wait_connected(viewer.page)
        page = viewer.page
        expect(message(page, "please")).to_have_count(1)
        page.locator(".msg-more").last.click()  # a toolbar open
        page.screenshot(path=str(SHOTS / f"room-{lang}-{width}.png"))
        page.locator(".msg-more").last.click()
        mine = message(page, "short one")
        mine.locator(".msg-more").click()
        mine.locator(".msg-tools [data-action=react]").click()
        page.screenshot(path=str(SHOTS / f"picker-{lang}-{width}.png"))
        page.keyboard.press("Escape")
        composer = page.get_by_role("textbox", name=_message_label(lang), exact=True)
        composer.press("ArrowUp")
        page.screenshot(path=str(SHOTS / f"edit-{lang}-{width}.png"))
        page.keyboard.press("Escape")
        reply_button = message(page, "please").locator(".msg-tools [data-action=reply]")
        message(page, "please").locator(".msg-more").click()
        reply_button.click()
        composer.press_sequentially("@" + pair.bob_nick[:3])
        expect(page.get_by_role("option", name=f"@{pair.bob_nick}")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"mention-{lang}-{width}.png"))
        page.goto("/mentions")
        expect(page.locator(".mentions-found-item", has_text="please")).to_have_count(1)
        page.screenshot(path=str(SHOTS / f"mentions-page-{lang}-{width}.png"), full_page=True)
        viewer.assert_clean()
        viewer.close()


def _message_label(lang: str) -> str:
    from parley.web.catalog import EN, KO

    return (KO if lang == "ko" else EN)["room.message_label"]
