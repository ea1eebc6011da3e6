"""The friends page: login required, every list rendered with nicknames escaped, headers.
Also the room page's call settings (the ICE servers handed to the page's script)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from parley.core.config import Settings
from tests.support import services
from tests.web.conftest import PASSWORD, create_room, csrf, page_signup
from tests.web.test_pages import _check_headers, _check_no_inline_script

STUN = "stun:stun.example.org:3478"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return services.test_settings(db_url).model_copy(update={"ice_servers": [STUN]})


def _page_data(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert match
    data: dict[str, object] = json.loads(match.group(1))
    return data


def _hostile(tag: str) -> str:
    return f"<img src=x onerror={tag}>"[:32]


async def _me_id(client: httpx.AsyncClient) -> int:
    me = _page_data((await client.get("/")).text)["me"]
    assert isinstance(me, dict)
    return int(me["id"])


async def _fresh(client: httpx.AsyncClient, nickname: str) -> tuple[str, int]:
    client.cookies.clear()
    login_id = await page_signup(client, nickname=nickname)
    return login_id, await _me_id(client)


async def _log_in(client: httpx.AsyncClient, login_id: str) -> None:
    client.cookies.clear()
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"csrf_token": csrf(client), "login_id": login_id, "password": PASSWORD},
    )
    assert response.status_code == 303, response.text


async def _api(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, int] | None = None
) -> None:
    response = await client.request(
        method, f"/api/v1{path}", headers={"X-CSRF-Token": csrf(client)}, json=body
    )
    assert response.status_code in (201, 204), response.text


async def test_friends_page_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/friends")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/friends"


async def test_friends_page_lists_everyone_escaped(client: httpx.AsyncClient) -> None:
    friend_login, friend = await _fresh(client, _hostile("f()"))
    asker_login, _ = await _fresh(client, _hostile("i()"))
    _, asked = await _fresh(client, _hostile("o()"))
    _, blocked = await _fresh(client, _hostile("b()"))
    me_login, me = await _fresh(client, "Viewer")
    await _api(client, "POST", "/me/friends", {"member_id": friend})
    await _api(client, "POST", "/me/friends", {"member_id": asked})
    await _api(client, "POST", f"/me/blocks/{blocked}")
    await _log_in(client, friend_login)
    await _api(client, "POST", "/me/friends", {"member_id": me})  # accepts mine
    await _log_in(client, asker_login)
    await _api(client, "POST", "/me/friends", {"member_id": me})
    await _log_in(client, me_login)

    response = await client.get("/friends")
    assert response.status_code == 200
    html = response.text
    _check_headers(response)
    # escaped nicknames sit in aria-label values: look at the markup with values blanked
    _check_no_inline_script(re.sub(r'aria-label="[^"]*"', 'aria-label=""', html))
    assert "<img src=x" not in html
    sections = {
        "friend-list": "f()",
        "incoming-list": "i()",
        "outgoing-list": "o()",
        "block-list": "b()",
    }
    for list_id, tag in sections.items():
        match = re.search(rf'<ul id="{list_id}".*?</ul>', html, re.S)
        assert match, list_id
        assert f"&lt;img src=x onerror={tag}&gt;" in match.group(0), list_id
    friends = re.search(r'<ul id="friend-list".*?</ul>', html, re.S)
    assert friends and 'class="dot"' in friends.group(0)  # offline: no socket open
    assert 'href="/friends"' in html and 'aria-current="page"' in html


async def test_the_room_page_hands_the_ice_servers_to_calls(client: httpx.AsyncClient) -> None:
    await page_signup(client)
    room_id = await create_room(client, "calls")
    data = _page_data((await client.get(f"/rooms/{room_id}")).text)
    assert data["ice_servers"] == [{"urls": STUN}]
