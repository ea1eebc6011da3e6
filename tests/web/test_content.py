"""What pages show: hostile data escaped, Korean or English, the notice board's sanitiser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from parley.accounts.service import create_admin
from parley.core.runtime import Runtime
from parley.web.catalog import EN, KO
from parley.web.i18n import negotiate
from tests.web.conftest import PASSWORD, create_room, csrf, page_signup

WEB = Path(__file__).resolve().parents[2] / "parley" / "web"
HOSTILE = "</script><script>alert(1)</script><img src=x onerror=alert(2)>\"'&"


def _page_data(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert match, "no page data block"
    data: dict[str, object] = json.loads(match.group(1))
    return data


async def test_hostile_names_are_escaped_in_every_page(client: httpx.AsyncClient) -> None:
    nickname = HOSTILE[:32]
    await page_signup(client, nickname=nickname)
    room_id = await create_room(client, HOSTILE[:50], topic=HOSTILE)
    for path in ("/", "/rooms", f"/rooms/{room_id}", "/account"):
        html = (await client.get(path)).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html, path
        data = _page_data(html)  # the JSON block parses: the nickname could not close it
        me = data["me"]
        assert isinstance(me, dict) and me["nickname"] == nickname
    room_page = (await client.get(f"/rooms/{room_id}")).text
    assert _page_data(room_page)["room"] == {
        "id": room_id,
        "name": HOSTILE[:50],
        "title": HOSTILE[:50],
        "kind": "group",
        "is_private": False,
    }


def _assert_inert(html: str) -> None:
    """No element that runs script: text that merely mentions it is fine."""
    assert not re.search(r"<script|<[^>]*\son[a-z]+=|href=\"javascript", html, re.I), html


async def test_notice_pages_show_only_sanitised_html(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.db.sessions() as session:
        await create_admin(session, runtime, "chief", "Chief", PASSWORD)
    await client.get("/login")
    await client.post(
        "/login", data={"csrf_token": csrf(client), "login_id": "chief", "password": PASSWORD}
    )
    body = "**hi** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    fields = {"csrf_token": csrf(client), "title": HOSTILE, "body": body}
    preview = await client.post("/notices/new", data={**fields, "action": "preview"})
    assert preview.status_code == 200
    section = preview.text.split('class="preview"', 1)[1].split("</section>", 1)[0]
    assert "<strong>hi</strong>" in section
    _assert_inert(section)
    saved = await client.post("/notices/new", data={**fields, "action": "save"})
    assert saved.status_code == 303
    notice = await client.get(saved.headers["location"])
    assert "<strong>hi</strong>" in notice.text
    _assert_inert(notice.text.split('class="prose">', 1)[1].split("</article>", 1)[0])
    assert "<script>alert" not in notice.text
    assert "&lt;/script&gt;" in notice.text
    for path in ("/", "/notices"):
        assert "&lt;/script&gt;&lt;script&gt;" in (await client.get(path)).text


async def test_notice_forms_validate_with_the_api_rules(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.db.sessions() as session:
        await create_admin(session, runtime, "chief2", "Chief", PASSWORD)
    await client.get("/login")
    await client.post(
        "/login", data={"csrf_token": csrf(client), "login_id": "chief2", "password": PASSWORD}
    )
    bad = await client.post(
        "/notices/new", data={"csrf_token": csrf(client), "title": "", "body": "x"}
    )
    assert bad.status_code == 422
    assert "1 to 200 characters" in bad.text


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, ko;q=0.5", "ko"),
        ("ko;q=0.3, en;q=0.7", "en"),
        ("de", "en"),
        ("", "en"),
        ("ko;q=0", "en"),
        ("ko;q=nonsense, en", "en"),
    ],
)
def test_language_negotiation(header: str, lang: str) -> None:
    assert negotiate(header) == lang


async def test_korean_or_english_by_accept_language_and_the_switch(
    client: httpx.AsyncClient,
) -> None:
    korean = await client.get("/login", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert '<html lang="ko">' in korean.text
    assert "로그인" in korean.text and "Log in" not in korean.text
    assert _page_data(korean.text)["strings"]["connecting"] == KO["js.connecting"]  # type: ignore[index]
    english = await client.get("/login", headers={"Accept-Language": "en-GB"})
    assert '<html lang="en">' in english.text and "Log in" in english.text
    switched = await client.post(
        "/lang", data={"csrf_token": csrf(client), "lang": "ko", "next": "/notices"}
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/notices"
    after = await client.get("/notices", headers={"Accept-Language": "en"})
    assert '<html lang="ko">' in after.text and "공지사항" in after.text
    ignored = await client.post("/lang", data={"csrf_token": csrf(client), "lang": "xx"})
    assert ignored.status_code == 303
    assert '<html lang="ko">' in (await client.get("/")).text


def test_catalogs_are_complete_and_cover_every_key_in_use() -> None:
    assert set(EN) == set(KO)
    assert all(KO[key].strip() for key in KO)
    used = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.0-9]+)'", template.read_text()))
    for script in (WEB / "static" / "js").glob("*.js"):
        used |= {f"js.{k}" for k in re.findall(r'\bt\("([a-z_0-9]+)"', script.read_text())}
    missing = sorted(key for key in used if key not in EN)
    assert missing == []
    assert len(used) > 100
