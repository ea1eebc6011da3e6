"""My notification level for a room, in real Chromium: the room page's Notifications panel
shows the default (mentions for a room), a click sets "every message", a mute sets
`muted_until` about an hour ahead, each checked against the API and kept across a reload;
screenshots at 360 and 1280 px in English and Korean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browser import WebServer, open_room, wait_connected
from tests.e2e.test_browser_room_admin import Room, api_get, room

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = ["room"]  # the fixture, shared with the room-admin tests


def _panel(page: Page) -> None:
    node = page.locator("#room-notify")
    if node.get_attribute("open") is None:
        node.locator("summary").click()


def test_a_member_sets_the_rooms_level_and_a_mute(
    browser: Browser, web_server: WebServer, room: Room
) -> None:
    from playwright.sync_api import expect

    watched = open_room(browser, web_server, room.member[0], room.id)
    page = watched.page
    _panel(page)
    settings = f"/api/v1/me/rooms/{room.id}/settings"
    expect(page.locator("#room-notify input[value=mentions]")).to_be_checked()
    page.locator("#room-notify input[value=all]").check()
    expect(page.locator("#room-notify-status")).to_have_text("Saved.")
    assert api_get(web_server, room.member[0], settings)["notify"] == "all"

    page.locator("#room-notify-mute").select_option("3600")
    expect(page.locator("#room-notify-now")).to_contain_text("muted until")
    stored = api_get(web_server, room.member[0], settings)
    assert stored["notify"] == "all"
    until = datetime.fromisoformat(stored["muted_until"].replace("Z", "+00:00"))
    assert timedelta(minutes=50) < until - datetime.now(UTC) < timedelta(minutes=70)

    page.reload()
    wait_connected(page)
    _panel(page)
    expect(page.locator("#room-notify input[value=all]")).to_be_checked()
    expect(page.locator("#room-notify-now")).to_contain_text("muted until")
    page.locator("#room-notify-mute").select_option("")
    expect(page.locator("#room-notify-now")).to_have_text("· every message")
    assert api_get(web_server, room.member[0], settings)["muted_until"] is None
    # the owner's level is their own
    assert api_get(web_server, room.owner[0], settings)["notify"] == "mentions"
    watched.assert_clean()
    watched.close()


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_screenshots_of_the_notifications_panel(
    browser: Browser, web_server: WebServer, room: Room, screenshots: Path, locale: str
) -> None:
    from playwright.sync_api import expect

    lang = locale[:2]
    for width in (360, 1280):
        watched = open_room(browser, web_server, room.member[0], room.id, width, locale)
        page = watched.page
        _panel(page)
        expect(page.locator("#room-notify input[value=mentions]")).to_be_checked()
        page.set_viewport_size({"width": width, "height": 1600})
        page.locator("#room-notify").screenshot(
            path=str(screenshots / f"room-notify-{lang}-{width}.png")
        )
        watched.assert_clean()
        watched.close()
