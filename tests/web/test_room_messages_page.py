"""The room page's parts for messages with a life (issue 12): the edit window handed to the
script, the emoji picker, mention list, reply chip and pins list in the page, both languages,
the bundled emoji set served locally (no CDN), and the page's strings complete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from parley.core.config import Settings
from parley.web.catalog import EN, KO
from tests.support import services
from tests.web.conftest import create_room, page_signup
from tests.web.test_pages import _check_headers, _check_no_inline_script

WINDOW = 900
STATIC = Path(__file__).resolve().parents[2] / "parley" / "web" / "static"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return services.test_settings(db_url).model_copy(update={"edit_window_seconds": WINDOW})


def _page_data(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert match
    data: dict[str, object] = json.loads(match.group(1))
    return data


async def test_the_room_page_has_the_message_tools(client: httpx.AsyncClient) -> None:
    await page_signup(client)
    room_id = await create_room(client, "life")
    response = await client.get(f"/rooms/{room_id}", headers={"Accept-Language": "en"})
    html = response.text
    _check_headers(response)
    _check_no_inline_script(html)
    data = _page_data(html)
    assert data["edit_window_seconds"] == WINDOW
    strings = data["strings"]
    assert isinstance(strings, dict)
    for key in ("edit", "delete", "react", "reply", "pin", "copy_link", "deleted_by_moderator"):
        assert strings[key] == EN[f"js.{key}"]
    for part in (
        'id="emoji-picker" class="emoji-picker" role="dialog"',
        'id="emoji-search" type="search"',
        'id="mention-list" class="mention-list" role="listbox"',
        'id="reply-chip"',
        'id="pins"',
        'id="action-status" class="action-status" role="status"',
        'id="emoji-button"',
    ):
        assert part in html
    korean = await client.get(f"/rooms/{room_id}", headers={"Accept-Language": "ko"})
    assert KO["room.pins"] in korean.text and KO["room.emoji_search"] in korean.text
    ko_strings = _page_data(korean.text)["strings"]
    assert isinstance(ko_strings, dict) and ko_strings["edited"] == KO["js.edited"]


async def test_the_emoji_set_is_served_from_the_app(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/js/emoji-data.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    text = response.text
    entries = re.findall(r'\["([^"]+)", "([^"]+)", "([^"]+)"\]', text)
    assert len(entries) >= 100
    emoji = [e for e, _, _ in entries]
    assert len(set(emoji)) == len(emoji), "an emoji listed twice"
    assert all(en.isascii() and ko for _, en, ko in entries)
    # nothing in the room page's scripts loads from elsewhere
    for script in (STATIC / "js").glob("*.js"):
        source = script.read_text()
        assert not re.search(r"""(import|from)\s*\(?\s*["']https?:""", source), script.name
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, script.name
