"""Page routes: login redirects (and no open redirect), CSRF, security headers, HTML errors."""

from __future__ import annotations

import re

import httpx
import pytest

from parley.web.auth import safe_next
from tests.web.conftest import PASSWORD, create_room, csrf, page_signup

PUBLIC_PAGES = ["/", "/login", "/signup", "/notices"]
MEMBER_PAGES = ["/rooms", "/rooms/new", "/account", "/rooms?q=a&page=2"]
HOSTILE_NEXT = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\nevil",
    "evil.example",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("path", [*MEMBER_PAGES, "/rooms/1", "/notices/new"])
async def test_member_pages_send_visitors_to_login_and_back(
    client: httpx.AsyncClient, path: str
) -> None:
    login_id = await page_signup(client)
    client.cookies.clear()
    response = await client.get(path)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=")
    next_path = httpx.URL(location).params["next"]
    assert next_path == path
    login_page = await client.get(location)
    assert f'name="next" value="{path.replace("&", "&amp;")}"' in login_page.text
    back = await client.post(
        location,
        data={
            "csrf_token": csrf(client),
            "login_id": login_id,
            "password": PASSWORD,
            "next": next_path,
        },
    )
    assert back.status_code == 303
    assert back.headers["location"] == path


@pytest.mark.parametrize("target", HOSTILE_NEXT)
async def test_next_never_leaves_the_site(client: httpx.AsyncClient, target: str) -> None:
    assert safe_next(target) == "/"
    login_id = await page_signup(client)
    client.cookies.clear()
    page = await client.get("/login", params={"next": target})
    assert 'name="next" value="/"' in page.text
    response = await client.post(
        "/login",
        data={
            "csrf_token": csrf(client),
            "login_id": login_id,
            "password": PASSWORD,
            "next": target,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_local_next_is_kept() -> None:
    assert safe_next("/rooms/5?x=1#m") == "/rooms/5?x=1#m"
    assert safe_next("/notices") == "/notices"


async def test_forms_need_the_csrf_token(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    fields = {"login_id": "nobody", "password": PASSWORD}
    for data in (fields, {**fields, "csrf_token": ""}, {**fields, "csrf_token": "x" * 43}):
        refused = await client.post("/login", data=data)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "expired" in refused.text
    wrong_password = await client.post("/login", data={**fields, "csrf_token": csrf(client)})
    assert wrong_password.status_code == 401  # past the CSRF check, refused by the service
    await page_signup(client)
    for path in ("/rooms/new", "/account", "/lang", "/auth/logout"):
        assert (await client.post(path, data={"name": "x"})).status_code == 403, path
    assert (await client.post("/auth/refresh")).status_code == 403
    room_id = await create_room(client, "csrf-checked")
    assert (await client.post(f"/rooms/{room_id}", data={"action": "leave"})).status_code == 403


async def test_a_cross_site_cookie_alone_cannot_post_to_the_api(client: httpx.AsyncClient) -> None:
    await page_signup(client)
    refused = await client.post("/api/v1/rooms", json={"name": "via cookie"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    ok = await client.post(
        "/api/v1/rooms", json={"name": "via cookie"}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert ok.status_code == 201


def _check_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "https://i.ytimg.com" in directives["img-src"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def _check_no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or "src=" in tag, tag
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), "an on*= attribute"
    assert "//cdn" not in html and "fonts.googleapis" not in html


async def test_every_page_has_the_security_headers(client: httpx.AsyncClient) -> None:
    pages = [*PUBLIC_PAGES, "/no/such/page", "/notices/999999"]
    for path in pages:
        response = await client.get(path)
        assert response.headers["content-type"].startswith("text/html"), path
        _check_headers(response)
        _check_no_inline_script(response.text)
    await page_signup(client)
    room_id = await create_room(client, "headers")
    for path in ["/", "/notices", *MEMBER_PAGES, f"/rooms/{room_id}"]:
        response = await client.get(path)
        assert response.status_code == 200, path
        _check_headers(response)
        _check_no_inline_script(response.text)


async def test_page_errors_are_pages_and_api_errors_stay_problems(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    api = await client.get("/api/v1/no/such/thing")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert "content-security-policy" not in api.headers
    await page_signup(client)
    for path in ("/rooms/999999", "/rooms/0", "/rooms/abc", "/notices/99999999999999999999"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
    forbidden = await client.get("/notices/new")
    assert forbidden.status_code == 403
    assert "Only site admins" in forbidden.text
    bad_page = await client.get("/rooms", params={"page": "0"})
    assert bad_page.status_code == 400
    assert bad_page.headers["content-type"].startswith("text/html")


async def test_static_assets_are_local(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert any(a.startswith("/static/js/app.js") for a in assets)
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_an_unexpected_failure_is_an_error_page_with_the_headers(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parley.notices import service as notices

    async def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(notices, "list_notices", broken)
    transport = httpx.ASGITransport(app=client._transport.app, raise_app_exceptions=False)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "boom" not in response.text
    _check_headers(response)
