"""Browser sessions: cookie attributes, transparent refresh, logout, account changes."""

from __future__ import annotations

import httpx

from tests.support.api import assert_problem
from tests.web.conftest import PASSWORD, csrf, page_signup


def _cookie_headers(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


async def test_login_sets_the_session_cookies(client: httpx.AsyncClient) -> None:
    login_id = await page_signup(client)
    client.cookies.clear()
    await client.get("/login")
    response = await client.post(
        "/login", data={"csrf_token": csrf(client), "login_id": login_id, "password": PASSWORD}
    )
    cookies = _cookie_headers(response)
    access = cookies["parley_access"]
    assert "HttpOnly" in access and "SameSite=lax" in access and "Path=/;" in access
    assert "Max-Age=900" in access
    refresh = cookies["parley_refresh"]
    assert "HttpOnly" in refresh and "SameSite=strict" in refresh and "Path=/auth" in refresh
    assert "HttpOnly" not in cookies["parley_csrf"]  # scripts must read it
    assert "Secure" not in access  # plain http here; Secure whenever the request is https


async def test_https_requests_get_secure_cookies(client: httpx.AsyncClient) -> None:
    await client.get("https://testserver/login")
    response = await client.post(
        "https://testserver/signup",
        data={
            "csrf_token": csrf(client),
            "login_id": "secure_one",
            "nickname": "Secure",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 303
    for header in response.headers.get_list("set-cookie"):
        assert "Secure" in header, header


async def test_an_expired_access_cookie_is_refreshed_on_the_way(
    client: httpx.AsyncClient,
) -> None:
    await page_signup(client)
    old_refresh = client.cookies.get("parley_refresh", path="/auth")
    client.cookies.delete("parley_access")
    detour = await client.get("/rooms?q=x")
    assert detour.status_code == 303
    assert detour.headers["location"] == "/auth/refresh?next=/rooms%3Fq%3Dx"
    back = await client.get(detour.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/rooms?q=x"
    assert "parley_access" in _cookie_headers(back)
    assert (await client.get("/rooms?q=x")).status_code == 200
    # the rotated-out refresh token is dead, and presenting it again ends the session
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": old_refresh})
    assert_problem(reused, 401, "refresh_token_reused")


async def test_scripts_refresh_with_the_csrf_header(client: httpx.AsyncClient) -> None:
    await page_signup(client)
    token = csrf(client)
    refreshed = await client.post("/auth/refresh", headers={"X-CSRF-Token": token})
    assert refreshed.status_code == 204
    assert client.cookies.get("parley_csrf") == token  # forms on screen still post
    client.cookies.delete("parley_refresh", path="/auth")
    ended = await client.post("/auth/refresh", headers={"X-CSRF-Token": token})
    assert_problem(ended, 401, "invalid_refresh_token")


async def test_a_failed_refresh_ends_at_the_login_page(client: httpx.AsyncClient) -> None:
    await page_signup(client)
    domain = next(c.domain for c in client.cookies.jar if c.name == "parley_refresh")
    client.cookies.delete("parley_access")
    client.cookies.set("parley_refresh", "bogus", domain=domain, path="/auth")
    response = await client.get("/auth/refresh?next=/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account"
    assert {c.name for c in client.cookies.jar} == {"parley_csrf"}
    assert (await client.get("/account")).headers["location"] == "/login?next=/account"


async def test_logout_revokes_the_session(client: httpx.AsyncClient) -> None:
    await page_signup(client)
    access = client.cookies.get("parley_access")
    refresh = client.cookies.get("parley_refresh", path="/auth")
    out = await client.post("/auth/logout", data={"csrf_token": csrf(client)})
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert "parley_access" not in client.cookies
    assert_problem(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}),
        401,
        "invalid_refresh_token",
    )
    revoked = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
    assert_problem(revoked, 401, "session_revoked")


async def test_account_changes_go_through_the_services(client: httpx.AsyncClient) -> None:
    login_id = await page_signup(client)
    token = csrf(client)
    renamed = await client.post(
        "/account", data={"csrf_token": token, "action": "nickname", "nickname": "  Renamed "}
    )
    assert renamed.headers["location"] == "/account?saved=nickname"
    assert "Nickname saved." in (await client.get("/account?saved=nickname")).text
    assert (await client.get("/api/v1/me", headers={"X-CSRF-Token": token})).json()[
        "nickname"
    ] == "Renamed"
    bad_nick = await client.post(
        "/account", data={"csrf_token": token, "action": "nickname", "nickname": "a\u0000b"}
    )
    assert bad_nick.status_code == 422
    wrong = await client.post(
        "/account",
        data={
            "csrf_token": token,
            "action": "password",
            "current_password": "not it at all",
            "new_password": "another passphrase",
            "new_password2": "another passphrase",
        },
    )
    assert wrong.status_code == 403 and "The password is wrong." in wrong.text
    assert "not it at all" not in wrong.text
    differ = await client.post(
        "/account",
        data={
            "csrf_token": token,
            "action": "password",
            "current_password": PASSWORD,
            "new_password": "another passphrase",
            "new_password2": "another passphrase!",
        },
    )
    assert differ.status_code == 422 and "The two passwords differ." in differ.text
    bye = await client.post(
        "/account", data={"csrf_token": token, "action": "withdraw", "withdraw_password": PASSWORD}
    )
    assert bye.headers["location"] == "/?bye=1"
    login = await client.post(
        "/login", data={"csrf_token": token, "login_id": login_id, "password": PASSWORD}
    )
    assert login.status_code == 401


async def test_signup_reports_the_api_rules(client: httpx.AsyncClient) -> None:
    await page_signup(client, login_id="taken_id")
    client.cookies.clear()
    await client.get("/signup")
    base = {"csrf_token": csrf(client), "nickname": "N", "password2": PASSWORD}
    taken = await client.post(
        "/signup", data={**base, "login_id": "taken_id", "password": PASSWORD}
    )
    assert taken.status_code == 409 and "That login id is taken." in taken.text
    invalid = await client.post(
        "/signup",
        data={**base, "login_id": "Bad Id", "password": "short", "password2": "short"},
    )
    assert invalid.status_code == 422
    assert "3 to 32 lowercase letters" in invalid.text and "8 to 128 characters" in invalid.text
    assert 'value="short"' not in invalid.text  # passwords are never echoed back
