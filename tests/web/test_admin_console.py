"""The site admin's console at /admin and the account page's recovery-codes step."""

from __future__ import annotations

import httpx

from parley.accounts import service
from parley.core.runtime import Runtime
from tests.web.conftest import PASSWORD, csrf, page_signup


async def _page_login(client: httpx.AsyncClient, login_id: str) -> None:
    await client.get("/login")
    response = await client.post(
        "/login", data={"csrf_token": csrf(client), "login_id": login_id, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text


async def _admin_client(client: httpx.AsyncClient, runtime: Runtime) -> None:
    async with runtime.db.sessions() as session:
        await service.create_admin(session, runtime, "webadmin", "Web Admin", PASSWORD)
    await _page_login(client, "webadmin")


async def test_console_is_for_admins(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await page_signup(client)
    refused = await client.get("/admin")
    assert refused.status_code == 403
    post = await client.post("/admin", data={"csrf_token": csrf(client), "action": "registration"})
    assert post.status_code == 403


async def test_console_actions(client: httpx.AsyncClient, runtime: Runtime) -> None:
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    member_login = await page_signup(other)
    await _admin_client(client, runtime)
    page = await client.get("/admin")
    assert page.status_code == 200
    assert "Site administration" in page.text and member_login in page.text
    assert "<script>" not in page.text  # no inline script: the CSP holds
    done = await client.post(
        "/admin",
        data={"csrf_token": csrf(client), "action": "registration", "registration": "invite"},
    )
    assert done.status_code == 303
    assert (await client.get("/api/v1/auth/registration")).json()["registration"] == "invite"
    made = await client.post(
        "/admin",
        data={"csrf_token": csrf(client), "action": "invite", "max_uses": "1", "expires_days": "2"},
    )
    assert made.status_code == 200 and "invite-code" in made.text
    no_csrf = await client.post("/admin", data={"action": "registration", "registration": "open"})
    assert no_csrf.status_code == 403
    bad = await client.post(
        "/admin", data={"csrf_token": csrf(client), "action": "suspend", "member_id": "x"}
    )
    assert bad.status_code == 422
    members = (
        await client.get(
            f"/api/v1/admin/members?q={member_login}", headers={"x-csrf-token": csrf(client)}
        )
    ).json()["items"]
    suspended = await client.post(
        "/admin",
        data={
            "csrf_token": csrf(client),
            "action": "suspend",
            "member_id": str(members[0]["id"]),
            "reason": "spam",
        },
    )
    assert suspended.status_code == 303
    # the member's browser session is over
    assert (await other.get("/api/v1/me")).status_code in (401, 403)
    korean = await client.get("/admin", headers={"accept-language": "ko"})
    assert "사이트 관리" in korean.text and "정지됨" in korean.text
    await other.aclose()


async def test_account_page_recovery_codes(client: httpx.AsyncClient, runtime: Runtime) -> None:
    login_id = await page_signup(client)
    await client.get("/account")
    wrong = await client.post(
        "/account",
        data={
            "csrf_token": csrf(client),
            "action": "recovery_codes",
            "recovery_password": "nope nope",
        },
    )
    assert wrong.status_code == 403
    shown = await client.post(
        "/account",
        data={
            "csrf_token": csrf(client),
            "action": "recovery_codes",
            "recovery_password": PASSWORD,
        },
    )
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert "Store these now" in shown.text
    import re

    codes = re.findall(r"<code>([0-9A-F-]{24})</code>", shown.text)
    assert len(codes) == 10
    recovered = await client.post(
        "/api/v1/auth/recover",
        json={"login_id": login_id, "code": codes[3], "new_password": "another good password"},
    )
    assert recovered.status_code == 204
