"""Issue 15 in real Chromium: the header's search box finds a 2-syllable Korean term inside
words, the hits are marked (built from the answer's offsets, no HTML), filters narrow the
list, and a hit opens its room at the message."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.browser import WebServer, messages, open_page, send, sign_up, unique, wait_connected

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_search_box_finds_marks_and_opens_the_message(
    browser: Browser, web_server: WebServer
) -> None:
    from playwright.sync_api import expect

    alice = open_page(browser, web_server)
    page = alice.page
    sign_up(page, unique("alice"), unique("Alice"))
    marker = unique("q")  # keeps this run's messages apart from other tests' on the server
    page.goto("/rooms/new")
    page.get_by_label("Room name").fill(unique("search room "))
    page.get_by_role("button", name="Create room").click()
    page.wait_for_url(re.compile(r"/rooms/\d+$"))
    room_url = page.url
    wait_connected(page)
    first = f"{marker} 내일회의실 예약 <b>bold</b>"
    send(page, first)
    # the room shows the body rendered (Markdown, sanitised); search shows the text as typed
    shown = page.locator("#messages li[data-seq] .msg-body", has_text=f"{marker} 내일회의실")
    expect(shown).to_have_count(1)
    for n in range(60):  # push the hit out of the first history page
        send(page, f"{marker} filler {n}")
    expect(messages(page, f"{marker} filler 59")).to_have_count(1)

    box = page.get_by_role("searchbox", name="Search messages").first
    box.fill(f"회의 {marker}")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    hit = page.locator("#search-results .search-hit")
    expect(hit).to_have_count(1)
    expect(hit.locator("mark")).to_have_count(2)
    expect(hit.locator("mark").nth(1)).to_have_text("회의")
    expect(hit.locator(".search-body")).to_have_text(first)  # the tag is text, not markup
    assert hit.locator("b").count() == 0

    page.get_by_label("Only messages with files").check()
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(page.get_by_text("No messages found.")).to_be_visible()

    page.get_by_label("Only messages with files").uncheck()
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(hit).to_have_count(1)
    hit.get_by_role("link").click()
    page.wait_for_url(re.compile(re.escape(room_url) + r"#msg-\d+$"))
    expect(shown).to_be_visible()
    alice.assert_clean()
