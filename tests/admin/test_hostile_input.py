"""Hostile input on every field of issue 14's endpoints: a 4xx problem, never a 500, and
nothing stored from a refused request."""

from __future__ import annotations

from typing import Any

import httpx

from parley.core.runtime import Runtime
from tests.admin.support import make_admin, make_room, send
from tests.support.api import PASSWORD, assert_problem, signup

API = "/api/v1"
HOSTILE: list[Any] = [
    None,
    "",
    "\x00",
    "a\nb",
    "x" * 5000,
    2**64,
    -1,
    0,
    1.5,
    True,
    [],
    {},
    "\u202e\u0000",
]


async def test_hostile_bodies(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    owner, member = await signup(client), await signup(client)
    room = await make_room(client, owner, member)
    message = (await send(client, member, room, "hello")).json()["id"]
    report = await client.post(
        f"{API}/rooms/{room}/messages/{message}/reports",
        json={"reason": "r"},
        headers=owner.headers,
    )
    m = member.id
    forms: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("/admin/settings", {"registration": "open"}, admin.headers),
        ("/admin/invites", {"max_uses": 1, "expires_in_seconds": 3600}, admin.headers),
        (
            f"/admin/members/{m}/suspend",
            {"reason": "r", "until": "2999-01-01T00:00:00Z"},
            admin.headers,
        ),
        (f"/admin/members/{m}", {"role": "user"}, admin.headers),
        (f"/admin/rooms/{room}/owner", {"member_id": owner.id}, admin.headers),
        (f"/rooms/{room}/messages/{message}/reports", {"reason": "r"}, admin.headers),
        (f"/rooms/{room}/mutes", {"member_id": m, "seconds": 5}, owner.headers),
        (
            f"/admin/reports/{report.json()['id']}/resolve",
            {"action": "dismiss", "note": "n"},
            admin.headers,
        ),
        ("/me/recovery-codes", {"password": PASSWORD}, member.headers),
        (
            "/auth/recover",
            {"login_id": member.login_id, "code": "AAAA", "new_password": "x" * 9},
            {},
        ),
        (
            "/auth/signup",
            {"login_id": "hostile1", "nickname": "h", "password": PASSWORD, "invite_code": "A"},
            {},
        ),
    ]
    methods = {"/admin/settings": "PATCH", f"/admin/members/{m}": "PATCH"}
    for path, good, headers in forms:
        method = methods.get(path, "POST")
        for field in good:
            for value in HOSTILE:
                if value == good[field] or (field == "note" and value == ""):
                    continue
                if field in ("until", "expires_in_seconds", "invite_code") and value is None:
                    continue  # null is meaningful there: no end
                body = {**good, field: value}
                response = await client.request(method, API + path, json=body, headers=headers)
                assert 400 <= response.status_code < 500, (path, field, value, response.text)
                # a well-formed but wrong password or code is refused as such (403/401)
                assert response.status_code == 422 or field in ("code", "password"), (
                    path,
                    field,
                    value,
                    response.status_code,
                )
        extra = await client.request(method, API + path, json={**good, "x": 1}, headers=headers)
        assert_problem(extra, 422)
        raw = await client.request(
            method,
            API + path,
            content=b"{not json",
            headers={**headers, "content-type": "application/json"},
        )
        assert_problem(raw, 400)
    # nothing from the refused requests was stored
    members = await client.get(f"{API}/admin/members?status=suspended", headers=admin.headers)
    assert members.json()["items"] == []
    mutes = await client.get(f"{API}/rooms/{room}/mutes", headers=owner.headers)
    assert mutes.json() == []
    # SQL in a text field is text
    sql = "'); DELETE FROM members; --"
    done = await client.post(
        f"{API}/admin/members/{m}/suspend", json={"reason": sql}, headers=admin.headers
    )
    assert done.json()["suspend_reason"] == sql
    assert (
        len((await client.get(f"{API}/admin/members", headers=admin.headers)).json()["items"]) == 3
    )


async def test_hostile_paths_and_queries(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    for bad in ("0", "-1", str(2**63), "abc", "1.5", "%00"):
        for path in (
            f"/admin/members/{bad}/suspend",
            f"/admin/members/{bad}/recovery",
            f"/admin/rooms/{bad}/owner",
            f"/admin/reports/{bad}/resolve",
            f"/rooms/{bad}/mutes",
        ):
            response = await client.post(API + path, json={}, headers=admin.headers)
            assert response.status_code in (404, 422), (path, response.text)
    for query in (
        "/admin/members?q=%00",
        "/admin/members?q=" + "x" * 300,
        "/admin/members?status=deleted",
        "/admin/members?page=0",
        "/admin/audit?actor_id=" + str(2**64),
        "/admin/audit?action=DROP%20TABLE",
        "/admin/audit?before=-5",
        "/admin/audit?limit=100000",
        "/admin/reports?status=weird",
        "/admin/rooms?q=a%01b",
    ):
        response = await client.get(API + query, headers=admin.headers)
        assert response.status_code == 422, (query, response.text)
    # wildcards are characters, not patterns
    found = await client.get(API + "/admin/members?q=%25", headers=admin.headers)
    assert found.json()["items"] == []
