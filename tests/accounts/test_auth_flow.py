"""The member story through HTTP, on every database."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.api import PASSWORD, assert_problem, login, signup

API = "/api/v1"


async def test_signup_login_me_refresh_logout(client: httpx.AsyncClient) -> None:
    created = await client.post(
        f"{API}/auth/signup",
        json={"login_id": "alice_01", "nickname": "Alice", "password": PASSWORD},
    )
    assert created.status_code == 201
    member = created.json()
    assert member["login_id"] == "alice_01" and member["nickname"] == "Alice"
    assert member["role"] == "user"
    assert "password" not in created.text and "hash" not in created.text

    alice = await login(client, "alice_01")
    me = await client.get(f"{API}/me", headers=alice.headers)
    assert me.status_code == 200 and me.json()["id"] == member["id"]

    refreshed = await client.post(
        f"{API}/auth/refresh", json={"refresh_token": alice.refresh_token}
    )
    assert refreshed.status_code == 200
    pair = refreshed.json()
    assert pair["refresh_token"] != alice.refresh_token
    assert pair["token_type"] == "bearer" and pair["expires_in"] > 0
    new_headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert (await client.get(f"{API}/me", headers=new_headers)).status_code == 200

    out = await client.post(f"{API}/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    # the session is over: its refresh token and its access tokens stop working
    assert_problem(
        await client.post(f"{API}/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
        401,
        "invalid_refresh_token",
    )
    assert_problem(await client.get(f"{API}/me", headers=new_headers), 401, "session_revoked")


async def test_refresh_reuse_revokes_the_family(client: httpx.AsyncClient) -> None:
    bob = await signup(client)
    first = await client.post(f"{API}/auth/refresh", json={"refresh_token": bob.refresh_token})
    assert first.status_code == 200
    second_token = first.json()["refresh_token"]
    # an attacker replays the rotated token: the whole family dies
    assert_problem(
        await client.post(f"{API}/auth/refresh", json={"refresh_token": bob.refresh_token}),
        401,
        "refresh_token_reused",
    )
    assert_problem(
        await client.post(f"{API}/auth/refresh", json={"refresh_token": second_token}),
        401,
        "invalid_refresh_token",
    )
    access = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert_problem(await client.get(f"{API}/me", headers=access), 401)
    # other sessions of the same member are untouched
    other = await login(client, bob.login_id)
    assert (await client.get(f"{API}/me", headers=other.headers)).status_code == 200


async def test_password_change_ends_other_sessions(client: httpx.AsyncClient) -> None:
    carol = await signup(client)
    laptop = await login(client, carol.login_id)
    changed = await client.post(
        f"{API}/me/password",
        headers=carol.headers,
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
    )
    assert changed.status_code == 204
    assert (await client.get(f"{API}/me", headers=carol.headers)).status_code == 200
    assert_problem(await client.get(f"{API}/me", headers=laptop.headers), 401, "session_revoked")
    assert_problem(
        await client.post(f"{API}/auth/refresh", json={"refresh_token": laptop.refresh_token}),
        401,
    )
    assert_problem(
        await client.post(
            f"{API}/auth/login", json={"login_id": carol.login_id, "password": PASSWORD}
        ),
        401,
        "invalid_credentials",
    )
    await login(client, carol.login_id, "a brand new secret")


async def test_password_change_needs_the_current_password(client: httpx.AsyncClient) -> None:
    dave = await signup(client)
    wrong = await client.post(
        f"{API}/me/password",
        headers=dave.headers,
        json={"current_password": "not my password", "new_password": "another secret"},
    )
    assert_problem(wrong, 403, "wrong_password")
    await login(client, dave.login_id)


async def test_nickname_change(client: httpx.AsyncClient) -> None:
    erin = await signup(client)
    changed = await client.patch(f"{API}/me", headers=erin.headers, json={"nickname": " Erin ✨ "})
    assert changed.status_code == 200 and changed.json()["nickname"] == "Erin ✨"
    assert (await client.get(f"{API}/me", headers=erin.headers)).json()["nickname"] == "Erin ✨"


async def test_withdraw_needs_password_and_deletes_the_account(client: httpx.AsyncClient) -> None:
    frank = await signup(client)
    assert_problem(
        await client.request(
            "DELETE", f"{API}/me", headers=frank.headers, json={"password": "wrong password"}
        ),
        403,
        "wrong_password",
    )
    gone = await client.request(
        "DELETE", f"{API}/me", headers=frank.headers, json={"password": PASSWORD}
    )
    assert gone.status_code == 204
    assert_problem(await client.get(f"{API}/me", headers=frank.headers), 401)
    assert_problem(
        await client.post(
            f"{API}/auth/login", json={"login_id": frank.login_id, "password": PASSWORD}
        ),
        401,
        "invalid_credentials",
    )
    # the login id stays reserved (PARLEY_WITHDRAWN_ID_RESERVE_DAYS): nobody takes it at once
    again = await client.post(
        f"{API}/auth/signup",
        json={"login_id": frank.login_id, "nickname": "New Frank", "password": PASSWORD},
    )
    assert_problem(again, 409, "login_id_taken")


async def test_concurrent_signups_with_one_login_id(client: httpx.AsyncClient) -> None:
    body = {"login_id": "racer", "nickname": "Racer", "password": PASSWORD}
    responses = await asyncio.gather(
        *(client.post(f"{API}/auth/signup", json=body) for _ in range(4))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "login_id_taken")


async def test_login_errors_do_not_tell_unknown_from_wrong(client: httpx.AsyncClient) -> None:
    gina = await signup(client)
    unknown = await client.post(
        f"{API}/auth/login", json={"login_id": "nobody_here", "password": PASSWORD}
    )
    wrong = await client.post(
        f"{API}/auth/login", json={"login_id": gina.login_id, "password": "wrong password"}
    )
    a, b = assert_problem(unknown, 401), assert_problem(wrong, 401)
    assert (
        (a["code"], a["detail"])
        == (b["code"], b["detail"])
        == (
            "invalid_credentials",
            "login id or password is wrong",
        )
    )


async def test_member_search_is_bounded_and_paginated(client: httpx.AsyncClient) -> None:
    me = await signup(client)
    for i in range(5):
        await signup(client, login_id=f"kim_{i}", nickname=f"Kim {i}")
    await signup(client, login_id="lee", nickname="Lee 100%_")
    first = await client.get(f"{API}/members", params={"q": "KIM", "limit": 2}, headers=me.headers)
    assert first.status_code == 200
    page1 = first.json()
    assert [m["nickname"] for m in page1["items"]] == ["Kim 0", "Kim 1"]
    assert page1["has_more"] is True and "login_id" not in page1["items"][0]
    third = await client.get(
        f"{API}/members", params={"q": "kim", "limit": 2, "page": 3}, headers=me.headers
    )
    assert [m["nickname"] for m in third.json()["items"]] == ["Kim 4"]
    assert third.json()["has_more"] is False
    # LIKE metacharacters are matched literally
    percent = await client.get(f"{API}/members", params={"q": "%_"}, headers=me.headers)
    assert [m["nickname"] for m in percent.json()["items"]] == ["Lee 100%_"]
    huge = await client.get(
        f"{API}/members", params={"q": "kim", "limit": 10**6}, headers=me.headers
    )
    assert huge.json()["page_size"] == 50
    assert_problem(await client.get(f"{API}/members", params={"q": "kim"}), 401)
