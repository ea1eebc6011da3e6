"""Issue 13 in real Chromium: the app shell. Live badges and the tab title when another
member posts in another room, a read clearing them in another tab, "seen by", one's own
presence at once, DMs named after the peer, a call ringing on a page that is not the room
(accepted there, connected in the room), a friend request arriving live, and screenshots of
the shell at 360 and 1280 px in English and Korean."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e import test_browser_social
from tests.e2e.browser import (
    PASSWORD,
    Watched,
    WebServer,
    log_in,
    messages,
    open_page,
    send,
    unique,
    wait_connected,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, WebSocketRoute


#: this module's Chromium has a fake camera and microphone, for the call: the social tests'
browser = test_browser_social.browser


@dataclass
class Member:
    login: str
    nickname: str
    id: int


def new_member(server: WebServer, prefix: str) -> Member:
    login, nickname = unique(prefix.lower()), unique(prefix)
    body = {"login_id": login, "nickname": nickname, "password": PASSWORD}
    answer = httpx.post(f"{server.base_url}/api/v1/auth/signup", json=body, timeout=30)
    answer.raise_for_status()
    return Member(login, nickname, int(answer.json()["id"]))


def signed_in(
    browser: Browser, server: WebServer, member: Member, width: int = 1280, lang: str = "en"
) -> Watched:
    watched = open_page(browser, server, width=width, locale="ko-KR" if lang == "ko" else "en-US")
    url = server.base_url
    # the helper logs in on the English form; then the pages in the language asked for
    watched.context.add_cookies([{"name": "parley_lang", "value": "en", "url": url}])
    log_in(watched.page, member.login)
    watched.context.add_cookies([{"name": "parley_lang", "value": lang, "url": url}])
    return watched


@dataclass
class World:
    alice: Member
    bob: Member
    general: int
    random: int
    dm: int


@pytest.fixture
def world(web_server: WebServer) -> World:
    """Alice and Bob in two public rooms, and their direct room."""
    alice, bob = new_member(web_server, "Alice"), new_member(web_server, "Bob")
    with web_server.api_login(alice.login) as api:
        general = api.post("/api/v1/rooms", json={"name": unique("general ")}).json()["id"]
        random = api.post("/api/v1/rooms", json={"name": unique("random ")}).json()["id"]
        dm = api.post("/api/v1/dms", json={"member_id": bob.id}).json()["id"]
    with web_server.api_login(bob.login) as api:
        for room_id in (general, random):
            api.post(f"/api/v1/rooms/{room_id}/join").raise_for_status()
    return World(alice, bob, general, random, dm)


def post(server: WebServer, member: Member, room_id: int, body: str) -> None:
    with server.api_login(member.login) as api:
        message = {"body": body, "client_msg_id": unique("m")}
        api.post(f"/api/v1/rooms/{room_id}/messages", json=message).raise_for_status()


def sidebar_link(page: Page, room_id: int) -> Any:
    return page.locator(f'#shell-nav a.shell-room[data-room-id="{room_id}"]')


@pytest.fixture
def pages() -> Iterator[list[Watched]]:
    opened: list[Watched] = []
    yield opened
    for watched in opened:
        watched.assert_clean()
    for watched in opened:
        watched.close()


def test_badges_and_title_change_live_and_a_read_clears_them_in_other_tabs(
    browser: Browser, web_server: WebServer, world: World, pages: list[Watched]
) -> None:
    from playwright.sync_api import expect

    bob = signed_in(browser, web_server, world.bob)
    pages.append(bob)
    room_tab = bob.page
    room_tab.goto(f"/rooms/{world.general}")
    wait_connected(room_tab)
    # my own dot is online as soon as the socket is, not at the next presence frame
    me = room_tab.locator(f'#member-list .member[data-member-id="{world.bob.id}"] .dot.online')
    expect(me).to_have_count(1, timeout=5000)
    home_tab = bob.context.new_page()
    home_tab.goto("/")
    home_badge = home_tab.locator(f'[data-badge-room="{world.random}"]')
    expect(home_badge).to_be_hidden()
    expect(sidebar_link(home_tab, world.random)).to_be_visible()  # the shell is loaded
    expect(room_tab).to_have_title(re.compile(r"^general"))

    post(web_server, world.alice, world.random, "news in another room")
    post(web_server, world.alice, world.random, f"and a mention <@{world.bob.id}>")
    link = sidebar_link(room_tab, world.random)
    expect(link).to_have_attribute("data-unread", "2")
    expect(link.locator(".badge-mention")).to_contain_text("1")  # one of them mentions Bob
    expect(link.locator(".badge-mention")).to_have_attribute("title", "1 mentioning you, 2 unread")
    expect(room_tab).to_have_title(re.compile(r"^\(2\) general"))
    expect(home_badge).to_be_visible()
    expect(home_badge).to_contain_text("2")
    expect(home_tab).to_have_title(re.compile(r"^\(2\) "))
    # a message in the room being read is not unread
    post(web_server, world.alice, world.general, "here, where bob reads")
    expect(messages(room_tab, "here, where bob reads")).to_have_count(1)
    expect(sidebar_link(room_tab, world.general).locator(".badge")).to_have_count(0)

    # Alt+Shift+↓ jumps to the next room with unread messages: reading it clears the badge
    # in the other tab too (the read marker's `read` frame)
    room_tab.keyboard.press("Alt+Shift+ArrowDown")
    room_tab.wait_for_url(f"**/rooms/{world.random}")
    wait_connected(room_tab)
    expect(home_badge).to_be_hidden()
    expect(home_tab).not_to_have_title(re.compile(r"^\("))
    expect(room_tab).not_to_have_title(re.compile(r"^\("))
    # Alt+↑ goes back to the room above in the sidebar
    order: list[str] = room_tab.eval_on_selector_all(
        "#shell-nav a.shell-room", "links => links.map(a => a.dataset.roomId)"
    )
    above = order[order.index(str(world.random)) - 1]
    room_tab.keyboard.press("Alt+ArrowUp")
    room_tab.wait_for_url(f"**/rooms/{above}")

    # "seen by": Alice's own message shows who read it
    alice = signed_in(browser, web_server, world.alice)
    pages.append(alice)
    alice.page.goto(f"/rooms/{world.general}")
    wait_connected(alice.page)
    send(alice.page, "did you see this")
    expect(messages(room_tab, "did you see this")).to_have_count(1)
    seen = alice.page.locator("#messages li.mine #seen-by")
    expect(seen).to_have_text(f"Seen by {world.bob.nickname}")


def test_a_read_made_before_the_socket_connects_still_clears_the_badge(
    browser: Browser, web_server: WebServer, world: World, pages: list[Watched]
) -> None:
    """A page reads the room listing, then opens its socket; a read marker committed in
    between (the page just left sent it) has its `read` frame go out to no socket of this
    page. The badge must not stay stale: `subscribed` carries the marker as it is once the
    socket listens."""
    from playwright.sync_api import expect

    with web_server.api_login(world.alice.login) as api:
        message = {"body": "read me elsewhere", "client_msg_id": unique("m")}
        sent = api.post(f"/api/v1/rooms/{world.random}/messages", json=message)
        sent.raise_for_status()
    bob = signed_in(browser, web_server, world.bob)
    pages.append(bob)
    held: list[WebSocketRoute] = []  # the page's socket, kept from the server for now

    def hold(route: WebSocketRoute) -> None:
        held.append(route)

    bob.page.route_web_socket(re.compile(r"/ws"), hold)
    bob.page.goto("/")
    badge = bob.page.locator(f'[data-badge-room="{world.random}"]')
    expect(badge).to_contain_text("1")  # the listing, read over HTTP
    with web_server.api_login(world.bob.login) as api:
        read = api.post(f"/api/v1/rooms/{world.random}/read", json={"seq": sent.json()["seq"]})
        read.raise_for_status()
    expect(badge).to_contain_text("1")  # its `read` frame reached no socket of this page
    assert len(held) == 1
    held[0].connect_to_server()
    expect(badge).to_be_hidden()
    expect(bob.page).not_to_have_title(re.compile(r"^\("))


def test_a_dm_is_named_after_the_peer(
    browser: Browser, web_server: WebServer, world: World, pages: list[Watched]
) -> None:
    from playwright.sync_api import expect

    bob = signed_in(browser, web_server, world.bob)
    pages.append(bob)
    page = bob.page
    link = sidebar_link(page, world.dm)
    expect(link).to_have_text(re.compile(re.escape(world.alice.nickname)))
    expect(page.locator("#shell-nav")).not_to_contain_text("dm:")
    expect(page.locator("main")).not_to_contain_text("dm:")  # the home page's list too
    link.click()
    page.wait_for_url(f"**/rooms/{world.dm}")
    expect(page.locator("#room-name")).to_have_text(world.alice.nickname)
    expect(page).to_have_title(re.compile(re.escape(world.alice.nickname)))
    expect(link).to_have_attribute("aria-current", "page")


def test_a_call_rings_on_another_page_and_accept_opens_the_room(
    browser: Browser, web_server: WebServer, world: World, pages: list[Watched]
) -> None:
    from playwright.sync_api import expect

    alice = signed_in(browser, web_server, world.alice)
    bob = signed_in(browser, web_server, world.bob)
    pages.extend((alice, bob))
    bob.page.goto("/friends")
    expect(sidebar_link(bob.page, world.general)).to_be_visible()
    alice.page.goto(f"/rooms/{world.general}")
    wait_connected(alice.page)
    alice.page.get_by_role("button", name=f"Call {world.bob.nickname}").click()
    ring = bob.page.locator("#ring")
    expect(ring).to_be_visible()
    expect(ring).to_contain_text(world.alice.nickname)
    ring.get_by_role("button", name="Accept").click()
    bob.page.wait_for_url(f"**/rooms/{world.general}")  # the answer parameter is gone
    expect(bob.page.locator("#call")).to_have_attribute("data-state", "connected")
    expect(alice.page.locator("#call")).to_have_attribute("data-state", "connected")
    bob.page.get_by_role("button", name="Hang up").click()
    expect(alice.page.locator("#call")).to_have_attribute("data-state", "ended")

    # declined from another page: the caller hears it
    bob.page.goto("/")
    expect(sidebar_link(bob.page, world.general)).to_be_visible()
    bob.page.wait_for_function("() => document.title.length > 0")
    alice.page.get_by_role("button", name=f"Call {world.bob.nickname}").click()
    expect(bob.page.locator("#ring")).to_be_visible()
    bob.page.locator("#ring").get_by_role("button", name="Decline").click()
    expect(alice.page.locator("#call")).to_have_attribute("data-state", "ended")
    expect(bob.page.locator("#ring")).to_be_hidden()


def test_a_friend_request_and_an_invite_arrive_live(
    browser: Browser, web_server: WebServer, world: World, pages: list[Watched]
) -> None:
    from playwright.sync_api import expect

    carol_member = new_member(web_server, "Carol")
    carol = signed_in(browser, web_server, carol_member)
    pages.append(carol)
    friends_tab = carol.page
    friends_tab.goto("/friends")
    other_tab = carol.context.new_page()
    other_tab.goto("/rooms")
    expect(other_tab.locator("#shell-nav")).to_be_visible()
    expect(friends_tab.locator("#shell-rooms-empty")).to_be_visible()  # the shell is loaded
    with web_server.api_login(world.alice.login) as api:
        api.post("/api/v1/me/friends", json={"member_id": carol_member.id}).raise_for_status()
    expect(friends_tab.locator("main")).to_contain_text(world.alice.nickname)  # reloaded
    expect(other_tab.locator("#friends-badge")).to_have_text("1")
    expect(other_tab.locator(".shell-toast")).to_contain_text(world.alice.nickname)
    # an invitation to a private room shows in the sidebar of whatever page is open
    with web_server.api_login(world.alice.login) as api:
        room = api.post("/api/v1/rooms", json={"name": unique("secret "), "is_private": True})
        room_id = room.json()["id"]
        api.post(f"/api/v1/rooms/{room_id}/invites", json={"member_id": carol_member.id})
    invites = other_tab.locator("#shell-invites")
    expect(invites).to_be_visible()
    expect(other_tab.locator(".shell-toast").last).to_contain_text("secret ")
    invites.get_by_role("link", name=re.compile("secret ")).click()  # the room's lobby
    other_tab.wait_for_url(f"**/rooms/{room_id}")
    other_tab.locator("#main").get_by_role("button", name="Join").click()
    wait_connected(other_tab)
    expect(sidebar_link(other_tab, room_id).locator(".shell-mark")).to_have_text("🔒")


#: the tab can be made to look hidden (headless tabs are always visible), and notifications
#: shown are recorded on their way to the real Notification API
HIDDEN_AND_RECORDED = """
Object.defineProperty(Document.prototype, "visibilityState", {
  get() { return window.__hidden ? "hidden" : "visible"; },
});
const RealNotification = window.Notification;
window.__notes = [];
window.Notification = class extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.__notes.push({ title, body: options?.body ?? "" });
  }
};
"""


def test_browser_notifications_while_hidden_for_dms_and_mentions(
    browser: Browser, web_server: WebServer, world: World, pages: list[Watched]
) -> None:
    from playwright.sync_api import expect

    bob = signed_in(browser, web_server, world.bob)
    pages.append(bob)
    page = bob.page
    expect(page.locator("#notify-enable")).to_be_visible()  # asked only when pressed
    bob.context.grant_permissions(["notifications"], origin=web_server.base_url)
    bob.context.add_init_script(HIDDEN_AND_RECORDED)
    page.goto("/friends")
    expect(sidebar_link(page, world.dm)).to_be_visible()
    expect(page.locator("#notify-enable")).to_be_hidden()  # the browser already allows them
    page.wait_for_function("() => document.title.length > 0")
    page.evaluate("window.__hidden = true")
    post(web_server, world.alice, world.general, "plain talk, no mention")
    post(web_server, world.alice, world.dm, "psst, bob")
    post(web_server, world.alice, world.random, f"look <@{world.bob.id}>")
    for room_id in (world.general, world.dm, world.random):  # all three arrived
        expect(sidebar_link(page, room_id)).to_have_attribute("data-unread", "1")
    random_name = sidebar_link(page, world.random).locator(".shell-name").inner_text()
    notes = sorted(page.evaluate("window.__notes"), key=lambda note: str(note["body"]))
    assert notes == [  # the DM and the mention; a room's plain message is not (`mentions`)
        {"title": f"{world.alice.nickname} · {random_name}", "body": f"look @{world.bob.nickname}"},
        {"title": world.alice.nickname, "body": "psst, bob"},
    ]
    page.evaluate("window.__hidden = false")  # a visible tab is not notified
    post(web_server, world.alice, world.dm, "now you see me")
    expect(sidebar_link(page, world.dm)).to_have_attribute("data-unread", "2")
    assert len(page.evaluate("window.__notes")) == 2


def test_shell_screenshots_at_360_and_1280(
    browser: Browser,
    web_server: WebServer,
    world: World,
    pages: list[Watched],
    screenshots: Path,
) -> None:
    from playwright.sync_api import expect

    post(web_server, world.alice, world.random, f"hello <@{world.bob.id}>")
    post(web_server, world.alice, world.dm, "a direct message")
    post(web_server, world.alice, world.general, "welcome to the room")
    for lang in ("en", "ko"):
        for width in (360, 1280):
            bob = signed_in(browser, web_server, world.bob, width=width, lang=lang)
            pages.append(bob)
            page = bob.page
            page.goto(f"/rooms/{world.general}")
            wait_connected(page)
            expect(sidebar_link(page, world.random).locator(".badge-mention")).to_have_count(1)
            page.screenshot(path=str(screenshots / f"shell-room-{lang}-{width}.png"))
            if width == 360:
                page.locator("#shell-toggle").click()
                expect(page.locator("#shell-nav")).to_be_visible()
                page.screenshot(path=str(screenshots / f"shell-nav-{lang}-{width}.png"))
                # the page behind the drawer is dimmed, and a tap on it closes the drawer
                page.mouse.click(350, 400)
                expect(page.locator("#shell-nav")).to_be_hidden()
                expect(page.locator("#shell-backdrop")).to_be_hidden()
            page.goto("/")
            expect(sidebar_link(page, world.dm)).to_be_attached()
            page.keyboard.press("?")
            expect(page.locator("#shell-help")).to_be_visible()
            page.screenshot(path=str(screenshots / f"shell-home-{lang}-{width}.png"))
