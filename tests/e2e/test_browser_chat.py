"""Two members chat through real Chromium against a real server: sign-up, rooms, invites,
live messages both ways, history after a reload, infinite scroll, reconnects and resume."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.browser import (
    Watched,
    WebServer,
    messages,
    open_page,
    send,
    seqs,
    sign_up,
    unique,
    wait_connected,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

SEEDED = 130  # more than two pages of history (50 a page)


def _expect_once(watched: Watched, text: str) -> None:
    """`text` is shown exactly once, confirmed, and the timeline has no repeated seq."""
    from playwright.sync_api import expect

    expect(messages(watched.page, text)).to_have_count(1)
    numbers = seqs(watched.page)
    assert numbers == sorted(set(numbers)), numbers


def test_two_members_chat_in_a_private_room(browser: Browser, web_server: WebServer) -> None:
    from playwright.sync_api import expect

    alice, bob = open_page(browser, web_server), open_page(browser, web_server)
    bob_nick = unique("Bob")
    sign_up(alice.page, unique("alice"), unique("Alice"))
    sign_up(bob.page, unique("bob"), bob_nick)

    page = alice.page
    page.goto("/rooms/new")
    page.get_by_label("Room name").fill(unique("secret room "))
    page.get_by_label("Private: only invited members can join").check()
    page.get_by_role("button", name="Create room").click()
    page.wait_for_url(re.compile(r"/rooms/\d+$"))
    wait_connected(page)
    page.get_by_label("Invite by nickname").fill(bob_nick)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=f"Invite {bob_nick}").click()
    expect(page.get_by_text(f"{bob_nick} was invited.")).to_be_visible()

    bob.page.goto("/")
    bob.page.get_by_role("button", name="Join").click()
    bob.page.wait_for_url(page.url)
    wait_connected(bob.page)
    expect(page.locator(".member", has_text=bob_nick).locator(".dot.online")).to_be_visible()

    send(page, "hello from alice")
    _expect_once(bob, "hello from alice")
    _expect_once(alice, "hello from alice")
    composer = bob.page.get_by_role("textbox", name="Message", exact=True)
    composer.press_sequentially("hi alice")
    composer.press("Shift+Enter")  # a new line, not a send
    composer.press_sequentially("second line")
    composer.press("Enter")
    _expect_once(alice, "hi alice")
    expect(messages(page, "hi alice")).to_have_text("hi alice\nsecond line")

    composer.press_sequentially("typing...")
    expect(page.locator("#typing")).to_have_text(f"{bob_nick} is typing…")

    bob.page.reload()
    _expect_once(bob, "hello from alice")
    _expect_once(bob, "hi alice")
    alice.assert_clean()
    bob.assert_clean()
    alice.close()
    bob.close()


def test_history_scroll_reconnect_and_screenshots(
    browser: Browser, web_server: WebServer, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    alice, bob = open_page(browser, web_server), open_page(browser, web_server)
    alice_id = unique("alice")
    sign_up(alice.page, alice_id, unique("Alice"))
    sign_up(bob.page, unique("bob"), unique("Bob"))
    with web_server.api_login(alice_id) as api:
        room = api.post("/api/v1/rooms", json={"name": unique("lobby "), "topic": "seeded"})
        room_id = room.json()["id"]
        for n in range(1, SEEDED + 1):
            body = {"body": f"seed {n:03d} https://youtu.be/dQw4w9WgXcQ", "client_msg_id": f"s{n}"}
            api.post(f"/api/v1/rooms/{room_id}/messages", json=body).raise_for_status()

    bob.page.goto("/rooms")
    bob.page.get_by_role("button", name=re.compile("^Join ")).first.click()
    bob.page.wait_for_url(f"**/rooms/{room_id}")
    page = bob.page
    wait_connected(page)
    _expect_once(bob, f"seed {SEEDED:03d}")
    newest = page.locator("#messages li", has_text=f"seed {SEEDED:03d}")
    thumbnail = newest.locator(".msg-embeds img")
    expect(thumbnail).to_have_attribute("src", "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg")
    expect(messages(page, "seed 001")).to_have_count(0)
    while not page.locator("#history-start").is_visible():
        shown = len(seqs(page))
        page.eval_on_selector("#timeline-scroll", "node => { node.scrollTop = 0; }")
        page.wait_for_function(
            "n => document.querySelectorAll('#messages li[data-seq]').length > n"
            " || !document.getElementById('history-start').hidden",
            arg=shown,
        )
    _expect_once(bob, "seed 001")
    assert seqs(page) == list(range(1, len(seqs(page)) + 1))

    alice.page.goto(f"/rooms/{room_id}")
    wait_connected(alice.page)

    # Bob's browser goes offline while Alice talks; back online, he resumes without a gap
    bob.context.set_offline(True)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    for n in range(3):
        send(alice.page, f"while you were away {n}")
    _expect_once(alice, "while you were away 2")
    bob.context.set_offline(False)
    wait_connected(page)
    for n in range(3):
        _expect_once(bob, f"while you were away {n}")

    # the server restarts: Alice's message typed meanwhile waits, then goes out exactly once
    web_server.stop()
    expect(alice.page.locator("#connection")).not_to_have_attribute("data-state", "connected")
    send(alice.page, "sent during the restart")
    expect(alice.page.locator(".msg.pending", has_text="sent during the restart")).to_be_visible()
    web_server.start()
    wait_connected(alice.page)
    wait_connected(page)
    _expect_once(alice, "sent during the restart")
    _expect_once(bob, "sent during the restart")
    send(page, "and back again")
    _expect_once(alice, "and back again")

    for width in (360, 1280):
        bob.page.set_viewport_size({"width": width, "height": 800})
        for name, path in (("home", "/"), ("rooms", "/rooms"), ("room", f"/rooms/{room_id}")):
            bob.page.goto(path)
            if name == "room":
                wait_connected(bob.page)
            bob.page.screenshot(path=str(screenshots / f"{name}-{width}.png"))
    alice.assert_clean()
    bob.assert_clean()
    alice.close()
    bob.close()
