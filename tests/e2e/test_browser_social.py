"""Issue 7 in real Chromium: a one-to-one call that connects (fake camera and microphone),
whispers seen only by their two members, and an image attachment shown as a thumbnail."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    TIMEOUT_MS,
    Watched,
    WebServer,
    messages,
    open_page,
    send,
    sign_up,
    unique,
    wait_connected,
)
from tests.e2e.conftest import require_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # host candidates as plain addresses: mDNS names may not resolve in a container
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """This module's Chromium, with fake media devices (closed with the module, as in
    conftest, so no Playwright event loop outlives it)."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=[*LAUNCH_ARGS, *MEDIA_ARGS]
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Trio:
    alice: Watched
    bob: Watched
    carol: Watched
    names: dict[str, str]

    def close(self) -> None:
        for watched in (self.alice, self.bob, self.carol):
            watched.close()


@pytest.fixture
def trio(browser: Browser, web_server: WebServer) -> Iterator[Trio]:
    """Alice, Bob and Carol in one public room, all connected and seeing each other."""
    pages = {who: open_page(browser, web_server) for who in ("alice", "bob", "carol")}
    names = {who: unique(who.title()) for who in pages}
    for who, watched in pages.items():
        sign_up(watched.page, unique(who), names[who])
    first = pages["alice"].page
    first.goto("/rooms/new")
    first.get_by_label("Room name").fill(unique("social "))
    first.get_by_role("button", name="Create room").click()
    first.wait_for_url(re.compile(r"/rooms/\d+$"))
    for who in ("bob", "carol"):
        page = pages[who].page
        page.goto(first.url)
        page.get_by_role("button", name="Join").click()
        page.wait_for_url(first.url)
    trio = Trio(pages["alice"], pages["bob"], pages["carol"], names)
    for who, watched in pages.items():
        wait_connected(watched.page)
        for name in (names[other] for other in pages if other != who):  # not told one's own
            watched.page.locator(".member", has_text=name).locator(".dot.online").wait_for()
    try:
        yield trio
    finally:
        trio.close()


def test_a_call_connects_and_only_the_callee_hears_it(trio: Trio) -> None:
    from playwright.sync_api import expect

    alice, bob, carol = trio.alice.page, trio.bob.page, trio.carol.page
    alice.get_by_role("button", name=f"Call {trio.names['bob']}").click()
    expect(alice.locator("#call")).to_have_attribute("data-state", "calling")
    expect(bob.locator("#call")).to_have_attribute("data-state", "ringing")
    expect(bob.locator("#call-status")).to_have_text(f"{trio.names['alice']} is calling you")
    bob.get_by_role("button", name="Accept").click()
    expect(alice.locator("#call")).to_have_attribute("data-state", "connected")
    expect(bob.locator("#call")).to_have_attribute("data-state", "connected")
    # the remote picture arrives on both sides
    for page in (alice, bob):
        page.wait_for_function("() => document.getElementById('remote-video').videoWidth > 0")
    assert int(bob.locator("#call").get_attribute("data-frames") or 0) >= 3  # request, offer, ice
    bob.get_by_role("button", name="Hang up").click()
    expect(bob.locator("#call")).to_have_attribute("data-state", "ended")
    expect(alice.locator("#call")).to_have_attribute("data-state", "ended")
    # Carol is in the room and online, and heard nothing: a message sent after the whole
    # call reaches her over the same socket, so any call frame would have come before it
    send(alice, "after the call")
    expect(messages(carol, "after the call")).to_have_count(1)
    assert carol.locator("#call").get_attribute("data-frames") == "0"
    assert carol.locator("#call").get_attribute("data-state") == "idle"
    for watched in (trio.alice, trio.bob, trio.carol):
        watched.assert_clean()


def test_a_whisper_reaches_its_target_only(trio: Trio) -> None:
    from playwright.sync_api import expect

    alice, bob, carol = trio.alice.page, trio.bob.page, trio.carol.page
    bob_name, alice_name = trio.names["bob"], trio.names["alice"]
    alice.get_by_role("button", name=f"Whisper to {bob_name}").click()
    chip = alice.get_by_role("button", name=f"Stop whispering to {bob_name}")
    expect(chip).to_be_visible()
    send(alice, "<b>psst</b>")
    expect(messages(bob, "<b>psst</b>")).to_have_count(1)
    expect(messages(alice, "<b>psst</b>")).to_have_count(1)
    whisper = bob.locator("#messages li.whisper[data-seq]", has_text="psst")
    expect(whisper.locator(".msg-kind")).to_have_text(f"whisper from {alice_name}")
    mine = alice.locator("#messages li.whisper[data-seq]", has_text="psst")
    expect(mine.locator(".msg-kind")).to_have_text(f"whisper to {bob_name}")
    assert bob.locator("#messages b").count() == 0  # text, never HTML
    # the chip stays until removed (keyboard: focus and Enter); then messages are public
    chip.focus()
    chip.press("Enter")
    expect(alice.locator("#whisper-target")).to_be_hidden()
    send(alice, "everyone hears this")
    expect(messages(carol, "everyone hears this")).to_have_count(1)
    expect(messages(carol, "<b>psst</b>")).to_have_count(0)
    # history renders the whisper the same way
    bob.reload()
    wait_connected(bob)
    expect(whisper.locator(".msg-kind")).to_have_text(f"whisper from {alice_name}")
    carol.reload()
    wait_connected(carol)
    expect(messages(carol, "everyone hears this")).to_have_count(1)
    expect(messages(carol, "<b>psst</b>")).to_have_count(0)
    for watched in (trio.alice, trio.bob, trio.carol):
        watched.assert_clean()


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_image_attachment_shows_as_a_thumbnail(trio: Trio) -> None:
    from playwright.sync_api import expect

    alice, bob = trio.alice.page, trio.bob.page
    red: FilePayload = {"name": "red.png", "mimeType": "image/png", "buffer": _png()}
    alice.get_by_label("Attach a file").set_input_files(files=[red])
    expect(alice.get_by_role("button", name="Remove the attachment red.png")).to_be_visible()
    box = alice.get_by_role("textbox", name="Message", exact=True)
    box.press("Enter")  # no caption: the file name is the body
    expect(messages(bob, "red.png")).to_have_count(1)
    thumb = bob.locator("#messages li[data-seq] img.msg-thumb")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_attribute("alt", "red.png")
    bob.wait_for_function(
        "() => { const i = document.querySelector('#messages img.msg-thumb');"
        " return Boolean(i && i.complete && i.naturalWidth > 0); }"
    )
    link = bob.locator("#messages li[data-seq] a.msg-file")
    expect(link).to_have_attribute("href", re.compile(r"^/api/v1/files/\d+$"))
    for watched in (trio.alice, trio.bob):
        watched.assert_clean()


def test_friends_request_accept_and_message(browser: Browser, web_server: WebServer) -> None:
    from playwright.sync_api import expect

    alice, bob = open_page(browser, web_server), open_page(browser, web_server)
    alice_name, bob_name = unique("Alice"), unique("Bob")
    sign_up(alice.page, unique("alice"), alice_name)
    sign_up(bob.page, unique("bob"), bob_name)
    try:
        page = alice.page
        page.get_by_role("link", name="Friends").click()
        page.wait_for_url("**/friends")
        page.get_by_label("Find by nickname").fill(bob_name)
        page.get_by_role("button", name="Find").click()
        page.get_by_role("button", name=f"Send a friend request to {bob_name}").click()
        expect(page.locator("#outgoing-list")).to_contain_text(bob_name)  # after the reload

        bob.page.goto("/friends")
        bob.page.get_by_role("button", name=f"Accept: {alice_name}").click()
        expect(bob.page.locator("#friend-list")).to_contain_text(alice_name)
        bob.page.get_by_role("button", name=f"Message: {alice_name}").click()
        bob.page.wait_for_url(re.compile(r"/rooms/\d+$"))
        wait_connected(bob.page)
        send(bob.page, "hello friend")
        expect(messages(bob.page, "hello friend")).to_have_count(1)
        page.reload()
        expect(page.locator("#friend-list")).to_contain_text(bob_name)
        for watched in (alice, bob):
            watched.assert_clean()
    finally:
        alice.close()
        bob.close()
