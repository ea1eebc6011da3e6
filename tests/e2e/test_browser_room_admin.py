"""The room management panel in real Chromium: an owner changes the settings, promotes a
member, mutes, bans and unbans, hands the room over and deletes it, each checked against
the API; a plain member gets no panel and the API refuses them. Also the sign-up form's
errors all at once, the upload limit before and in the error, system messages in Korean,
reply quotes without Markdown marks, the edit history, and screenshots at 360 and 1280 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.browser import (
    PASSWORD,
    Watched,
    WebServer,
    log_in,
    messages,
    open_page,
    open_room,
    unique,
    wait_connected,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def api_signup(server: WebServer, prefix: str) -> tuple[str, str, int]:
    """(login id, nickname, id) of a fresh account made through the API."""
    login_id, nickname = unique(prefix), unique(prefix.title())
    body = {"login_id": login_id, "nickname": nickname, "password": PASSWORD}
    response = httpx.post(f"{server.base_url}/api/v1/auth/signup", json=body, timeout=30)
    response.raise_for_status()
    return login_id, nickname, int(response.json()["id"])


@dataclass
class Room:
    id: int
    name: str
    owner: tuple[str, str, int]
    member: tuple[str, str, int]


@pytest.fixture
def room(web_server: WebServer) -> Room:
    """A public room with an owner and a plain member (set up through the API)."""
    owner, member = api_signup(web_server, "owner"), api_signup(web_server, "member")
    name = unique("managed ")
    with web_server.api_login(owner[0]) as api:
        created = api.post("/api/v1/rooms", json={"name": name, "topic": "old topic"})
        created.raise_for_status()
        room_id = int(created.json()["id"])
    with web_server.api_login(member[0]) as api:
        api.post(f"/api/v1/rooms/{room_id}/join").raise_for_status()
    return Room(room_id, name, owner, member)


@pytest.fixture
def owner_page(browser: Browser, web_server: WebServer, room: Room) -> Iterator[Watched]:
    watched = open_page(browser, web_server)
    log_in(watched.page, room.owner[0])
    watched.page.goto(f"/rooms/{room.id}")
    wait_connected(watched.page)
    try:
        yield watched
    finally:
        watched.close()


def api_get(server: WebServer, login_id: str, path: str) -> Any:
    with server.api_login(login_id) as api:
        response = api.get(path)
        response.raise_for_status()
        return response.json()


def panel(page: Page) -> Any:
    node = page.locator("#room-admin")
    if node.get_attribute("open") is None:
        node.locator("summary").click()
    return node


def test_owner_manages_the_room_through_the_panel(
    owner_page: Watched, web_server: WebServer, room: Room
) -> None:
    from playwright.sync_api import expect

    page = owner_page.page
    admin = panel(page)
    member_login, member_nick, member_id = room.member
    # settings
    new_name = unique("renamed ")
    admin.get_by_label("Room name").fill(new_name)
    admin.get_by_label("Topic (optional)").fill("a **new** topic")
    admin.get_by_label("Slow mode (seconds)").fill("30")
    admin.get_by_label("Private: only invited members can join").check()
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator("#ra-settings .ra-status")).to_have_text("Saved.")
    expect(page.locator("#room-name")).to_have_text(new_name)
    detail = api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}")
    assert detail["name"] == new_name
    assert detail["topic"] == "a **new** topic"
    assert detail["slow_mode_seconds"] == 30
    assert detail["is_private"] is True
    # a bad value is refused on the page and nothing is sent
    admin.get_by_label("Slow mode (seconds)").fill("999999")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator("#ra-settings .ra-status")).to_have_text(
        "Enter a whole number from 0 to 86400."
    )
    assert api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}")["slow_mode_seconds"] == 30

    # promote, then demote
    row = admin.locator("#ra-members li", has_text=member_nick)
    row.get_by_role("button", name=f"Make admin: {member_nick}").click()
    expect(row.locator(".ra-role")).to_have_text("admin")
    roles = api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}/members")["items"]
    assert {m["id"]: m["role"] for m in roles}[member_id] == "admin"
    row.get_by_role("button", name=f"Make member: {member_nick}").click()
    expect(row.locator(".ra-role")).to_have_text("member")

    # mute, listed, unmute
    row.get_by_label(f"How long to mute {member_nick}").select_option("3600")
    row.get_by_role("button", name=f"Mute {member_nick}").click()
    expect(admin.locator("#ra-mutes li", has_text=member_nick)).to_have_count(1)
    mutes = api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}/mutes")
    assert [m["member_id"] for m in mutes] == [member_id]
    admin.get_by_role("button", name=f"Unmute {member_nick}").click()
    expect(admin.locator("#ra-mutes li")).to_have_count(0)
    assert api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}/mutes") == []

    # ban from the people list, then unban from the panel's ban list
    ban = page.get_by_role("button", name=f"Ban {member_nick} from the room")
    ban.click()
    ban.click()  # the second press confirms
    expect(admin.locator("#ra-bans li", has_text=member_nick)).to_have_count(1)
    bans = api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}/bans")["items"]
    assert [b["member"]["id"] for b in bans] == [member_id]
    admin.get_by_role("button", name=f"Unban {member_nick}").click()
    expect(admin.locator("#ra-bans li")).to_have_count(0)
    assert api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}/bans")["items"] == []

    # the member comes back (an invite: the room is private now) and is handed the room
    with web_server.api_login(room.owner[0]) as api:
        api.post(f"/api/v1/rooms/{room.id}/invites", json={"member_id": member_id})
    with web_server.api_login(member_login) as api:
        api.post(f"/api/v1/rooms/{room.id}/join").raise_for_status()
    expect(admin.locator("#ra-heir option", has_text=member_nick)).to_have_count(1)
    admin.get_by_label("New owner").select_option(label=member_nick)
    admin.get_by_role("button", name="Make them the owner…").click()
    expect(admin.locator("#ra-transfer-question")).to_contain_text(member_nick)
    assert api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}")["role"] == "owner"
    admin.get_by_role("button", name="Yes, hand it over").click()
    expect(admin.locator("#ra-transfer")).to_be_hidden()  # no longer the owner's to give
    expect(admin.locator("#ra-delete")).to_be_hidden()
    assert api_get(web_server, room.owner[0], f"/api/v1/rooms/{room.id}")["role"] == "admin"
    assert api_get(web_server, member_login, f"/api/v1/rooms/{room.id}")["role"] == "owner"
    owner_page.assert_clean()


def test_owner_deletes_the_room_with_its_name_typed(
    owner_page: Watched, web_server: WebServer, room: Room
) -> None:
    from playwright.sync_api import expect

    page = owner_page.page
    admin = panel(page)
    delete = admin.get_by_role("button", name="Delete for good")
    expect(delete).to_be_disabled()
    admin.get_by_label("Type the room's name to confirm").fill(room.name + "x")
    expect(delete).to_be_disabled()
    admin.get_by_label("Type the room's name to confirm").fill(room.name)
    expect(delete).to_be_enabled()
    delete.click()
    page.wait_for_url(re.compile(r"/$"))
    with web_server.api_login(room.owner[0]) as api:
        assert api.get(f"/api/v1/rooms/{room.id}").status_code == 404
    owner_page.assert_clean()


def test_a_plain_member_sees_no_panel_and_the_api_refuses_them(
    browser: Browser, web_server: WebServer, room: Room
) -> None:
    from playwright.sync_api import expect

    watched = open_room(browser, web_server, room.member[0], room.id)
    page = watched.page
    expect(page.locator(".member", has_text=room.owner[1])).to_have_count(1)
    assert page.locator("#room-admin").count() == 0
    assert "ra-settings" not in page.content()
    # the API decides, whatever a page shows: every panel action is refused to them
    base = f"/api/v1/rooms/{room.id}"
    owner_id = room.owner[2]
    with web_server.api_login(room.member[0]) as api:
        refusals = [
            api.patch(base, json={"name": "taken over"}),
            api.patch(f"{base}/members/{owner_id}", json={"role": "member"}),
            api.post(f"{base}/mutes", json={"member_id": owner_id, "seconds": 60}),
            api.get(f"{base}/mutes"),
            api.get(f"{base}/bans"),
            api.post(f"{base}/owner", json={"member_id": room.member[2]}),
            api.delete(base),
        ]
    for response in refusals:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden_role"
    assert api_get(web_server, room.owner[0], base)["name"] == room.name
    watched.assert_clean()
    watched.close()


def test_signup_shows_every_error_at_once(browser: Browser, web_server: WebServer) -> None:
    from playwright.sync_api import expect

    watched = open_page(browser, web_server)
    page = watched.page
    page.goto("/signup")
    page.get_by_label("Login id").fill("NO spaces!")
    page.get_by_label("Nickname").fill("fine name")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("different")
    page.get_by_role("button", name="Sign up").click()
    errors = page.locator(".field-error")
    expect(errors).to_have_count(3)
    for field in ("login_id", "password", "password2"):
        expect(page.locator(f"#f-{field}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-nickname")).not_to_have_attribute("aria-invalid", "true")
    watched.close()


def test_upload_limit_stated_and_named_in_the_error(owner_page: Watched, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = owner_page.page
    expect(page.locator("#upload-limit")).to_have_text("(up to 10 MB)")
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        out.truncate(30 * 1024 * 1024)  # 30 MB of zeros, sparse on disk
    page.get_by_label("Attach a file").set_input_files(str(big))
    expect(page.locator("#upload-status")).to_have_text("The file is larger than the 10 MB limit.")
    owner_page.assert_clean()


def test_system_messages_quotes_and_edit_history(
    browser: Browser, web_server: WebServer, room: Room, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    base = f"/api/v1/rooms/{room.id}"
    with web_server.api_login(room.member[0]) as api:
        sent = api.post(
            f"{base}/messages", json={"body": "**bold** and `code`", "client_msg_id": unique("m")}
        ).json()
        api.patch(f"{base}/messages/{sent['id']}", json={"body": "**bolder** now"})
        reply = {"body": "answering", "client_msg_id": unique("r"), "reply_to": sent["id"]}
        api.post(f"{base}/messages", json=reply).raise_for_status()
    watched = open_page(browser, web_server, locale="ko-KR")
    page = watched.page
    url = web_server.base_url
    watched.context.add_cookies([{"name": "parley_lang", "value": "en", "url": url}])
    log_in(page, room.owner[0])
    watched.context.add_cookies([{"name": "parley_lang", "value": "ko", "url": url}])
    page.goto(f"/rooms/{room.id}")
    wait_connected(page)
    # the member's join, said in Korean (the stored body is English)
    expect(page.locator("#messages li.system", has_text=room.member[1])).to_have_text(
        f"{room.member[1]}님이 들어왔습니다"
    )
    quote = page.locator("#messages li", has_text="answering").locator(".msg-reply-text")
    expect(quote).to_have_text("bolder now")  # the excerpt was "**bolder** now"
    edited = messages(page, "bolder now").locator("xpath=..").locator(".msg-edited")
    edited.click()
    history = page.locator(".msg-history")
    expect(history.locator(".history-list li")).to_have_count(1)
    expect(history.locator(".history-list li strong")).to_have_text("bold")
    expect(edited).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=str(screenshots / "room-history-ko-1280.png"))
    edited.click()
    expect(history).to_have_count(0)
    watched.assert_clean()
    watched.close()


#: the labels of the sidebar's visible buttons whose text takes more than one line
WRAPPED_BUTTONS = """() => [...document.querySelectorAll('.sidebar button')]
  .filter((b) => b.offsetParent !== null)
  .filter((b) => {
    const style = getComputedStyle(b);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
    const inner = b.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return inner > line * 1.5;
  })
  .map((b) => b.textContent)"""


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_screenshots_of_the_panel_and_people(
    browser: Browser, web_server: WebServer, room: Room, screenshots: Path, locale: str
) -> None:
    from playwright.sync_api import expect

    lang = locale[:2]
    with web_server.api_login(room.owner[0]) as api:
        banned = api_signup(web_server, "banned")
        base = f"/api/v1/rooms/{room.id}"
        api.post(f"{base}/bans", json={"member_id": banned[2], "reason": "spam"})
        api.post(f"{base}/mutes", json={"member_id": room.member[2], "seconds": 600})
    for width in (360, 1280):
        watched = open_room(browser, web_server, room.owner[0], room.id, width, locale)
        page = watched.page
        if width == 360:
            page.locator("#people summary").click()
        expect(page.locator(".member", has_text=room.member[1])).to_have_count(1)
        page.screenshot(path=str(screenshots / f"people-{lang}-{width}.png"), full_page=True)
        admin = panel(page)
        expect(admin.locator("#ra-bans li")).to_have_count(1)
        expect(admin.locator("#ra-mutes li")).to_have_count(1)
        # a tall window, so the whole panel is in view (the sidebar scrolls otherwise)
        page.set_viewport_size({"width": width, "height": 2400})
        admin.screenshot(path=str(screenshots / f"room-admin-{lang}-{width}.png"))
        # no button's label wraps: each is one line tall
        tall = page.evaluate(WRAPPED_BUTTONS)
        assert tall == [], f"buttons wrapped at {width}px: {tall}"
        watched.assert_clean()
        watched.close()


def test_owner_sets_the_rooms_message_history(
    owner_page: Watched, room: Room, web_server: WebServer
) -> None:
    from playwright.sync_api import expect

    page = owner_page.page
    admin = panel(page)
    section = admin.locator("#ra-retention")
    expect(section.locator("#ra-retention-mode")).to_have_value("default")
    expect(section.locator("#ra-retention-days-field")).to_be_hidden()
    section.locator("#ra-retention-mode").select_option("days")
    section.locator("#ra-retention-days").fill("0")
    section.get_by_role("button").click()
    expect(section.locator(".ra-status")).to_have_class(re.compile("is-error"))
    section.locator("#ra-retention-days").fill("30")
    section.get_by_role("button").click()
    expect(section.locator(".ra-status")).not_to_have_class(re.compile("is-error"))
    expect(section.locator(".ra-status")).to_contain_text("Saved")
    base = f"/api/v1/rooms/{room.id}"
    assert api_get(web_server, room.owner[0], base)["retention_days"] == 30
    page.reload()
    admin = panel(page)
    expect(admin.locator("#ra-retention-mode")).to_have_value("days")
    expect(admin.locator("#ra-retention-days")).to_have_value("30")
    admin.locator("#ra-retention-mode").select_option("forever")
    admin.locator("#ra-retention").get_by_role("button").click()
    expect(admin.locator("#ra-retention .ra-status")).to_contain_text("Saved")
    assert api_get(web_server, room.owner[0], base)["retention_days"] == 0
    owner_page.assert_clean()
