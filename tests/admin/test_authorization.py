"""Who may call every endpoint of issue 14: anonymous, a member, a room moderator, a site
admin and a suspended member (whose live token is refused `suspended`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from parley.accounts.models import Member
from parley.core.database import utcnow
from parley.core.runtime import Runtime
from tests.admin.support import make_admin, make_room, send
from tests.support.api import PASSWORD, Account, signup

API = "/api/v1"
ROLES = ["anonymous", "member", "moderator", "admin", "suspended"]


@dataclass
class World:
    room: int
    message: int
    report: int
    victim: Account
    spare_room: int
    invite: int


async def _world(
    client: httpx.AsyncClient, runtime: Runtime, owner: Account, member: Account
) -> World:
    admin = await make_admin(client, runtime)
    victim = await signup(client)
    room = await make_room(client, owner, member, victim)
    sent = await send(client, victim, room, "rude words")
    report = await client.post(
        f"{API}/rooms/{room}/messages/{sent.json()['id']}/reports",
        json={"reason": "rude"},
        headers=member.headers,
    )
    spare = await make_room(client, victim)
    invite = await client.post(f"{API}/admin/invites", json={}, headers=admin.headers)
    return World(room, sent.json()["id"], report.json()["id"], victim, spare, invite.json()["id"])


def _calls(w: World) -> list[tuple[str, str, Any]]:
    v = w.victim.id
    return [
        ("GET", "/admin/settings", None),
        ("PATCH", "/admin/settings", {"registration": "open"}),
        ("POST", "/admin/invites", {"max_uses": 1}),
        ("GET", "/admin/invites", None),
        ("DELETE", f"/admin/invites/{w.invite}", None),
        ("GET", "/admin/members?q=user", None),
        ("POST", f"/admin/members/{v}/suspend", {"reason": "r"}),
        ("POST", f"/admin/members/{v}/unsuspend", None),
        ("POST", f"/admin/members/{v}/logout", None),
        ("PATCH", f"/admin/members/{v}", {"role": "user"}),
        ("POST", f"/admin/members/{v}/recovery", None),
        ("GET", "/admin/rooms", None),
        ("POST", f"/admin/rooms/{w.room}/owner", {"member_id": v}),
        ("GET", "/admin/reports?status=open", None),
        ("GET", "/admin/audit", None),
        ("GET", "/admin/audit/export", None),
        ("GET", f"/rooms/{w.room}/reports", None),
        ("POST", f"/rooms/{w.room}/messages/{w.message}/reports", {"reason": "bad"}),
        ("POST", f"/rooms/{w.room}/mutes", {"member_id": v, "seconds": 30}),
        ("GET", f"/rooms/{w.room}/mutes", None),
        ("DELETE", f"/rooms/{w.room}/mutes/{v}", None),
        ("POST", f"/admin/reports/{w.report}/resolve", {"action": "dismiss", "note": ""}),
        ("POST", "/me/recovery-codes", {"password": PASSWORD}),
        ("GET", "/me/recovery-codes", None),
        ("DELETE", f"/admin/rooms/{w.spare_room}", None),
        ("DELETE", f"/admin/members/{v}", None),
    ]


#: expected status per role, in the order of `_calls`
EXPECTED: dict[str, list[int]] = {
    "admin": [
        200,
        200,
        201,
        200,
        204,
        200,
        200,
        200,
        204,
        200,
        201,
        200,
        204,
        200,
        200,
        200,
        403,
        403,
        403,
        403,
        403,
        200,
        200,
        200,
        204,
        204,
    ],
    "moderator": [403] * 16 + [200, 201, 201, 200, 204, 200, 200, 200, 403, 403],
    "member": [403] * 16 + [403, 409, 403, 403, 403, 403, 200, 200, 403, 403],
    "anonymous": [401] * 22 + [401, 401, 401, 401],
    "suspended": [403] * 26,
}


@pytest.mark.parametrize("role", ROLES)
async def test_matrix(client: httpx.AsyncClient, runtime: Runtime, role: str) -> None:
    owner, member = await signup(client), await signup(client)
    world = await _world(client, runtime, owner, member)
    headers: dict[str, str] = {}
    if role == "admin":
        headers = (await make_admin(client, runtime)).headers
    elif role == "moderator":
        headers = owner.headers
    elif role in ("member", "suspended"):
        headers = member.headers
    if role == "suspended":  # a suspension whose sessions are still live: the token is refused
        async with runtime.db.sessions() as session:
            await session.execute(
                update(Member).where(Member.id == member.id).values(suspended_at=utcnow())
            )
            await session.commit()
    got = []
    for method, path, body in _calls(world):
        response = await client.request(method, API + path, json=body, headers=headers)
        assert response.status_code < 500, (method, path, response.text)
        got.append(response.status_code)
        if role == "suspended":
            assert response.json()["code"] == "suspended", (method, path)
    assert list(zip(_calls(world), got, strict=True)) == list(
        zip(_calls(world), EXPECTED[role], strict=True)
    )
