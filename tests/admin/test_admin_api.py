"""The site admin's members, rooms and audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import orjson

from parley.core.runtime import Runtime
from tests.admin.support import make_admin, make_room
from tests.support.api import PASSWORD, assert_problem, login, signup

API = "/api/v1"


async def test_suspend_refuses_login_and_tokens(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_admin(client, runtime)
    member = await signup(client)
    until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    done = await client.post(
        f"{API}/admin/members/{member.id}/suspend",
        json={"reason": "spam links", "until": until},
        headers=admin.headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["suspended"] is True and done.json()["suspend_reason"] == "spam links"
    assert_problem(await client.get(f"{API}/me", headers=member.headers), 401, "session_revoked")
    refused = await client.post(
        f"{API}/auth/login", json={"login_id": member.login_id, "password": PASSWORD}
    )
    body = assert_problem(refused, 403, "suspended")
    assert "spam links" in body["detail"] and body["until"]
    # a wrong password is not told about the suspension
    wrong = await client.post(
        f"{API}/auth/login", json={"login_id": member.login_id, "password": "wrong password"}
    )
    assert_problem(wrong, 401, "invalid_credentials")
    listed = await client.get(f"{API}/admin/members?status=suspended", headers=admin.headers)
    assert [m["id"] for m in listed.json()["items"]] == [member.id]
    back = await client.post(f"{API}/admin/members/{member.id}/unsuspend", headers=admin.headers)
    assert back.json()["suspended"] is False
    await login(client, member.login_id)
    past = await client.post(
        f"{API}/admin/members/{member.id}/suspend",
        json={"reason": "x", "until": "2001-01-01T00:00:00Z"},
        headers=admin.headers,
    )
    assert_problem(past, 422)
    naive = await client.post(
        f"{API}/admin/members/{member.id}/suspend",
        json={"reason": "x", "until": "2999-01-01T00:00:00"},
        headers=admin.headers,
    )
    assert_problem(naive, 422, "validation_failed")
    itself = await client.post(
        f"{API}/admin/members/{admin.id}/suspend", json={"reason": "x"}, headers=admin.headers
    )
    assert_problem(itself, 409, "cannot_target_self")


async def test_a_suspension_that_ended_lets_the_member_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_admin(client, runtime)
    member = await signup(client)
    until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    await client.post(
        f"{API}/admin/members/{member.id}/suspend",
        json={"reason": "cool off", "until": until},
        headers=admin.headers,
    )
    from sqlalchemy import update

    from parley.accounts.models import Member
    from parley.core.database import utcnow

    async with runtime.db.sessions() as session:
        await session.execute(
            update(Member).where(Member.id == member.id).values(suspended_until=utcnow())
        )
        await session.commit()
    await login(client, member.login_id)


async def test_logout_role_delete(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    member = await signup(client)
    other = await login(client, member.login_id)
    ended = await client.post(f"{API}/admin/members/{member.id}/logout", headers=admin.headers)
    assert ended.status_code == 204
    for account in (member, other):
        assert_problem(await client.get(f"{API}/me", headers=account.headers), 401)
    member = await login(client, member.login_id)  # may log in again
    promoted = await client.patch(
        f"{API}/admin/members/{member.id}", json={"role": "admin"}, headers=admin.headers
    )
    assert promoted.json()["role"] == "admin"
    assert (await client.get(f"{API}/admin/settings", headers=member.headers)).status_code == 200
    await client.patch(
        f"{API}/admin/members/{member.id}", json={"role": "user"}, headers=admin.headers
    )
    assert_problem(await client.get(f"{API}/admin/settings", headers=member.headers), 403)
    room = await make_room(client, member)
    gone = await client.delete(f"{API}/admin/members/{member.id}", headers=admin.headers)
    assert gone.status_code == 204
    assert_problem(await client.get(f"{API}/rooms/{room}", headers=admin.headers), 404)
    again = await client.post(
        f"{API}/auth/signup",
        json={"login_id": member.login_id, "nickname": "x", "password": PASSWORD},
    )
    assert_problem(again, 409, "login_id_taken")
    actions = [
        e["action"]
        for e in (await client.get(f"{API}/admin/audit", headers=admin.headers)).json()["items"]
    ]
    assert actions == ["member.delete", "member.role", "member.role", "member.logout"]


async def test_rooms(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    owner, heir = await signup(client), await signup(client)
    room = await make_room(client, owner, heir)
    private = await client.post(
        f"{API}/rooms", json={"name": "hidden-one", "is_private": True}, headers=owner.headers
    )
    listed = (await client.get(f"{API}/admin/rooms", headers=admin.headers)).json()["items"]
    assert {r["id"] for r in listed} == {room, private.json()["id"]}
    searched = await client.get(f"{API}/admin/rooms?q=HIDDEN", headers=admin.headers)
    assert [r["id"] for r in searched.json()["items"]] == [private.json()["id"]]
    outsider = await signup(client)
    not_member = await client.post(
        f"{API}/admin/rooms/{room}/owner", json={"member_id": outsider.id}, headers=admin.headers
    )
    assert_problem(not_member, 404, "member_not_found")
    moved = await client.post(
        f"{API}/admin/rooms/{room}/owner", json={"member_id": heir.id}, headers=admin.headers
    )
    assert moved.status_code == 204
    roles = {
        m["id"]: m["role"]
        for m in (await client.get(f"{API}/rooms/{room}/members", headers=heir.headers)).json()[
            "items"
        ]
    }
    assert roles == {owner.id: "admin", heir.id: "owner"}
    deleted = await client.delete(f"{API}/admin/rooms/{room}", headers=admin.headers)
    assert deleted.status_code == 204
    assert_problem(await client.get(f"{API}/rooms/{room}", headers=heir.headers), 404)
    entries = (await client.get(f"{API}/admin/audit", headers=admin.headers)).json()["items"]
    assert [(e["action"], e["target_id"]) for e in entries] == [
        ("room.delete", room),
        ("room.owner", room),
    ]


async def test_audit_filters_and_export(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    owner, member = await signup(client), await signup(client)
    room = await make_room(client, owner, member)
    banned = await client.post(
        f"{API}/rooms/{room}/bans",
        json={"member_id": member.id, "reason": "trolling"},
        headers=owner.headers,
    )
    assert banned.status_code == 201
    await client.post(
        f"{API}/admin/members/{member.id}/suspend", json={"reason": "again"}, headers=admin.headers
    )
    page = (await client.get(f"{API}/admin/audit", headers=admin.headers)).json()
    first, second = page["items"]
    assert (first["action"], first["actor_id"], first["reason"]) == (
        "member.suspend",
        admin.id,
        "again",
    )
    assert (second["action"], second["actor_id"], second["target_id"], second["room_id"]) == (
        "room.ban",
        owner.id,
        member.id,
        room,
    )
    assert second["reason"] == "trolling" and second["address"] == "203.0.113.7"
    by_owner = await client.get(f"{API}/admin/audit?actor_id={owner.id}", headers=admin.headers)
    assert [e["action"] for e in by_owner.json()["items"]] == ["room.ban"]
    older = await client.get(f"{API}/admin/audit?before={first['id']}", headers=admin.headers)
    assert [e["id"] for e in older.json()["items"]] == [second["id"]]
    one = await client.get(f"{API}/admin/audit?limit=1", headers=admin.headers)
    assert one.json()["next_before"] == first["id"]
    export = await client.get(f"{API}/admin/audit/export", headers=admin.headers)
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in export.content.splitlines()]
    assert [e["action"] for e in lines] == ["room.ban", "member.suspend"]


async def test_audit_is_append_only(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    for method in ("DELETE", "PATCH", "PUT", "POST"):
        response = await client.request(method, f"{API}/admin/audit", headers=admin.headers)
        assert_problem(response, 405)
