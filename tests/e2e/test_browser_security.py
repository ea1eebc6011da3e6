"""Hostile input in a real browser: script and HTML payloads in a nickname, a room name and
topic, messages and a notice show as text, no dialog opens and no script runs (the page
records CSP violations too, so an injected handler would be caught even if CSP blocked it);
form posts without the CSRF token are refused."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.browser import (
    PASSWORD,
    WebServer,
    log_in,
    messages,
    open_page,
    send,
    sign_up,
    unique,
    wait_connected,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

NICK = "<img src=x onerror=alert(1)>"
ROOM = "<script>alert(2)</script>"
TOPIC = '"><svg onload=window.__pwned=3>'
MESSAGE = '<img src=x onerror="window.__pwned=4;alert(4)"><script>alert(5)</script>'
LINK = "javascript:alert(6) and https://example.invalid/?q=<b>x</b>"
NOTICE_TITLE = "<script>alert(7)</script> maintenance"
NOTICE_BODY = (
    "**bold** <img src=x onerror=alert(8)>\n\n"
    "[click me](javascript:alert(9))\n\n<script>alert(10)</script>"
)


def test_hostile_text_is_shown_as_text_everywhere(browser: Browser, web_server: WebServer) -> None:
    from playwright.sync_api import expect

    admin_id = unique("boss")
    web_server.cli(
        "admin", "create", "--login-id", admin_id, "--nickname", NICK[:20] + "A",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    mallory = open_page(browser, web_server)
    page = mallory.page
    sign_up(page, unique("mallory"), NICK)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {NICK}")

    page.goto("/rooms/new")
    page.get_by_label("Room name").fill(ROOM + unique(""))
    page.get_by_label("Topic (optional)").fill(TOPIC)
    page.get_by_role("button", name="Create room").click()
    page.wait_for_url(re.compile(r"/rooms/\d+$"))
    wait_connected(page)
    expect(page.locator("#room-name")).to_contain_text(ROOM)
    expect(page.locator("#room-topic")).to_have_text(TOPIC)
    send(page, MESSAGE)
    send(page, LINK)
    expect(messages(page, MESSAGE)).to_have_count(1)
    link_message = messages(page, "javascript:alert(6)")
    expect(link_message.locator("a")).to_have_count(1)
    expect(link_message.locator("a")).to_have_attribute("href", re.compile(r"^https://example"))
    expect(page.locator("#member-list")).to_contain_text(NICK)
    page.reload()
    expect(messages(page, MESSAGE)).to_have_count(1)
    for path in ("/", "/rooms"):
        page.goto(path)
        expect(page.locator("main")).to_contain_text(ROOM)
    mallory.assert_clean()

    admin = open_page(browser, web_server)
    log_in(admin.page, admin_id)
    admin.page.goto("/notices/new")
    admin.page.get_by_label("Title").fill(NOTICE_TITLE)
    admin.page.get_by_label("Text (Markdown)").fill(NOTICE_BODY)
    admin.page.get_by_role("button", name="Preview").click()
    preview = admin.page.locator(".preview .prose")
    expect(preview.locator("strong")).to_have_text("bold")
    expect(preview.locator("script, [onerror], a[href^='javascript']")).to_have_count(0)
    admin.page.get_by_role("button", name="Publish").click()
    admin.page.wait_for_url(re.compile(r"/notices/\d+$"))
    expect(admin.page.get_by_role("heading", level=1)).to_have_text(NOTICE_TITLE)
    notice_url = admin.page.url
    admin.assert_clean()

    page.goto(notice_url)
    expect(page.locator(".prose strong")).to_have_text("bold")
    expect(page.locator(".prose script, .prose [onerror]")).to_have_count(0)
    page.goto("/")
    expect(page.locator("main")).to_contain_text(NOTICE_TITLE)
    mallory.assert_clean()
    mallory.close()
    admin.close()


def test_form_posts_need_the_csrf_token(browser: Browser, web_server: WebServer) -> None:
    watched = open_page(browser, web_server)
    sign_up(watched.page, unique("carol"), unique("Carol"))
    request = watched.context.request
    name = unique("csrf room ")
    refused = request.post("/rooms/new", form={"name": name}, max_redirects=0)
    assert refused.status == 403
    assert "text/html" in refused.headers["content-type"]
    token = next(c["value"] for c in watched.context.cookies() if c["name"] == "parley_csrf")
    wrong = request.post(
        "/rooms/new", form={"name": name, "csrf_token": token[::-1]}, max_redirects=0
    )
    assert wrong.status == 403
    accepted = request.post("/rooms/new", form={"name": name, "csrf_token": token}, max_redirects=0)
    assert accepted.status == 303
    assert re.fullmatch(r"/rooms/\d+", accepted.headers["location"])
    # the JSON API through the same cookies: the header is required as well
    api_refused = request.post("/api/v1/rooms", data={"name": name + "2"})
    assert api_refused.status == 403
    api_ok = request.post(
        "/api/v1/rooms", data={"name": name + "2"}, headers={"X-CSRF-Token": token}
    )
    assert api_ok.status == 201
    watched.close()
