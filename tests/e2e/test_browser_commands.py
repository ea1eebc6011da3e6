"""Slash commands in real Chromium against a real server (issue 17): the composer's command
list (typing "/", arrow keys, Enter), `/me` shown as an action, a poll voted on by clicking
an option (seen live by the other member), `/topic` leaving no pending message, an unknown
command shown as failed. Screenshots of the list at 360 and 1280 px, English and Korean."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.browser import WebServer, log_in, open_page, wait_connected
from tests.e2e.test_browser_messages import Pair, message, pair

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["pair"]  # the fixture, shared with the messages tests


def test_the_command_list_completes_and_commands_render(pair: Pair) -> None:
    from playwright.sync_api import expect

    alice, bob = pair.alice.page, pair.bob.page
    composer = bob.get_by_role("textbox", name="Message", exact=True)
    composer.press_sequentially("/")
    listbox = bob.get_by_role("listbox", name="Commands")
    expect(listbox.get_by_role("option")).to_have_count(6)
    expect(listbox.get_by_role("option").first).to_contain_text("/me")
    expect(listbox.get_by_role("option").first).to_contain_text("Say what you are doing")
    composer.press("ArrowDown")
    composer.press("ArrowDown")  # /me, /shrug, then /poll
    expect(listbox.locator("[aria-selected=true]")).to_contain_text("/poll")
    composer.press("Enter")  # completes, does not send
    expect(composer).to_have_value('/poll "" "" ""')
    expect(listbox).to_be_hidden()
    composer.fill('/poll "Lunch?" "Noodles" "Rice"')
    composer.press("Enter")
    poll = message(alice, "Lunch?").locator(".poll")
    expect(poll.locator(".poll-option")).to_have_count(2)
    poll.locator(".poll-option", has_text="Rice").click()
    for page in (alice, bob):
        rice = message(page, "Lunch?").locator(".poll-option", has_text="Rice")
        expect(rice.locator(".poll-count")).to_have_text("1")
    expect(poll.locator(".poll-option", has_text="Rice")).to_have_attribute("aria-pressed", "true")

    composer.press_sequentially("/m")
    expect(listbox.get_by_role("option")).to_have_count(1)
    composer.press("Tab")
    composer.press_sequentially("waves hello")
    composer.press("Enter")
    action = message(alice, "waves hello").locator(".msg-body.msg-action")
    expect(action).to_have_text(f"* {pair.bob_nick} waves hello")

    alice_composer = alice.get_by_role("textbox", name="Message", exact=True)
    alice_composer.fill("/topic lunch at noon")
    alice_composer.press("Enter")
    for page in (alice, bob):
        expect(page.locator("#room-topic")).to_have_text("lunch at noon")
    expect(alice.locator("#messages li.pending")).to_have_count(0)

    composer.fill("/nope")
    composer.press("Enter")
    failed = bob.locator("#messages li.failed", has_text="/nope")
    expect(failed).to_contain_text("No such command")
    composer.fill("//nope is fine")
    composer.press("Enter")
    expect(message(alice, "/nope is fine")).to_have_count(1)


def test_command_list_screenshots(
    browser: Browser, web_server: WebServer, pair: Pair, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    from parley.web.catalog import EN, KO

    for lang, strings in (("en", EN), ("ko", KO)):
        for width in (360, 1280):
            viewer = open_page(browser, web_server, width=width, locale=lang)
            url = web_server.base_url
            viewer.context.add_cookies([{"name": "parley_lang", "value": "en", "url": url}])
            log_in(viewer.page, pair.alice_login)
            viewer.context.add_cookies([{"name": "parley_lang", "value": lang, "url": url}])
            viewer.page.goto(f"/rooms/{pair.room_id}")
            wait_connected(viewer.page)
            page = viewer.page
            composer = page.get_by_role("textbox", name=strings["room.message_label"], exact=True)
            composer.press_sequentially("/")
            listbox = page.get_by_role("listbox", name=strings["room.command_list"])
            expect(listbox.get_by_role("option").first).to_contain_text(strings["js.command_me"])
            page.screenshot(path=str(screenshots / f"commands-{lang}-{width}.png"))
            viewer.assert_clean()
            viewer.close()
