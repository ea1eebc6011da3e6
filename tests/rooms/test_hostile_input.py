"""Hostile input on every room endpoint: always a clear 4xx, never a 500, never harm."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from parley.core.runtime import Runtime
from tests.rooms.support import API, add_member, create_room, room_row
from tests.support.api import assert_problem, signup

HUGE = 2**63
BODY_ENDPOINTS = (
    ("POST", "/rooms"),
    ("PATCH", "/rooms/{room}"),
    ("POST", "/rooms/{room}/invites"),
    ("POST", "/rooms/{room}/bans"),
    ("PATCH", "/rooms/{room}/members/{member}"),
)
PATH_ENDPOINTS = (
    ("GET", "/rooms/{id}"),
    ("PATCH", "/rooms/{id}"),
    ("DELETE", "/rooms/{id}"),
    ("POST", "/rooms/{id}/join"),
    ("POST", "/rooms/{id}/leave"),
    ("GET", "/rooms/{id}/members"),
    ("POST", "/rooms/{id}/invites"),
    ("DELETE", "/rooms/{id}/members/{id}"),
    ("PATCH", "/rooms/{id}/members/{id}"),
    ("POST", "/rooms/{id}/bans"),
    ("GET", "/rooms/{id}/bans"),
    ("DELETE", "/rooms/{id}/bans/{id}"),
    ("DELETE", "/me/invites/{id}"),
)
BAD_CREATES: tuple[Any, ...] = (
    {},
    {"name": "x", "owner_id": 1},
    {"name": 123},
    {"name": ["a"]},
    {"name": None},
    {"name": ""},
    {"name": "   "},
    {"name": "x" * 51},
    {"name": "x" * 100_000},
    {"name": "nul\x00byte"},
    {"name": "line\nbreak"},
    {"name": "bell\x07"},
    {"name": "rtl\u202eoverride"},
    {"name": "ok", "topic": "t" * 201},
    {"name": "ok", "topic": "tab\there"},
    {"name": "ok", "capacity": 1},
    {"name": "ok", "capacity": 10_001},
    {"name": "ok", "capacity": HUGE},
    {"name": "ok", "capacity": "many"},
    {"name": "ok", "capacity": 2.5},
    {"name": "ok", "is_private": {"yes": True}},
    {"name": "ok", "members_can_invite": []},
    [],
    "name",
    None,
)


@pytest.fixture
async def setting(client: httpx.AsyncClient) -> dict[str, Any]:
    owner, member = await signup(client), await signup(client)
    room = await create_room(client, owner, name="Target")
    await add_member(client, owner, room["id"], member)
    return {"owner": owner, "member": member, "room": room}


def _path(template: str, setting: dict[str, Any]) -> str:
    return template.format(room=setting["room"]["id"], member=setting["member"].id)


async def test_malformed_json_is_a_400_everywhere(
    client: httpx.AsyncClient, setting: dict[str, Any]
) -> None:
    headers = {**setting["owner"].headers, "content-type": "application/json"}
    for method, template in BODY_ENDPOINTS:
        for raw in (b"{", b'{"name": "x",}', b"\xff\xfe", b'{"name": "\\ud800"}'):
            response = await client.request(
                method, API + _path(template, setting), content=raw, headers=headers
            )
            assert_problem(response, 400, "malformed_json")


async def test_bad_room_bodies_are_refused(
    client: httpx.AsyncClient, setting: dict[str, Any]
) -> None:
    for body in BAD_CREATES:
        for method, path in (("POST", "/rooms"), ("PATCH", f"/rooms/{setting['room']['id']}")):
            if method == "PATCH" and body == {}:
                continue  # an empty update is a valid no-op
            response = await client.request(
                method, API + path, json=body, headers=setting["owner"].headers
            )
            assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"member_id": 0},
        {"member_id": -1},
        {"member_id": HUGE},
        {"member_id": 10**40},
        {"member_id": "1; DROP TABLE rooms"},
        {"member_id": None},
        {"member_id": 1, "extra": True},
    ],
)
async def test_bad_member_ids_in_bodies(
    client: httpx.AsyncClient, setting: dict[str, Any], body: dict[str, Any]
) -> None:
    rid = setting["room"]["id"]
    for path in (f"/rooms/{rid}/invites", f"/rooms/{rid}/bans"):
        response = await client.post(API + path, json=body, headers=setting["owner"].headers)
        assert_problem(response, 422, "validation_failed")


async def test_bad_ban_reasons_and_roles(
    client: httpx.AsyncClient, setting: dict[str, Any]
) -> None:
    rid, member = setting["room"]["id"], setting["member"]
    for reason in ("r" * 201, "nul\x00", 7):
        response = await client.post(
            f"{API}/rooms/{rid}/bans",
            json={"member_id": member.id, "reason": reason},
            headers=setting["owner"].headers,
        )
        assert_problem(response, 422, "validation_failed")
    for role in ("owner", "ADMIN", "", None, 1):
        response = await client.patch(
            f"{API}/rooms/{rid}/members/{member.id}",
            json={"role": role},
            headers=setting["owner"].headers,
        )
        assert_problem(response, 422, "validation_failed")


async def test_huge_and_malformed_ids_in_paths(
    client: httpx.AsyncClient, setting: dict[str, Any]
) -> None:
    for method, template in PATH_ENDPOINTS:
        for bad in (str(HUGE), "99999999999999999999999", "0", "-1", "1.5", "abc", "1e3"):
            response = await client.request(
                method,
                API + template.replace("{id}", bad),
                json={"member_id": 1, "topic": "x", "role": "admin"},
                headers=setting["owner"].headers,
            )
            assert_problem(response, 422, "validation_failed")
    for query in (f"page={HUGE}", "page=0", "page=x", "q=%00", "q=" + "q" * 300):
        response = await client.get(f"{API}/rooms?{query}", headers=setting["owner"].headers)
        assert_problem(response, 422, "validation_failed")


async def test_sql_metacharacters_are_stored_verbatim(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await signup(client)
    nasty = "'; DROP TABLE rooms; --"
    room = await create_room(client, owner, name=nasty, topic='" OR 1=1; -- \\ %_')
    assert room["name"] == nasty
    stored = await room_row(runtime, room["id"])
    assert stored is not None and stored.name == nasty and stored.topic == '" OR 1=1; -- \\ %_'
    found = await client.get(f"{API}/rooms", params={"q": "drop table"}, headers=owner.headers)
    assert [r["name"] for r in found.json()["items"]] == [nasty]
    for q in ("'", "' OR '1'='1", "\\", "%%", "_"):
        response = await client.get(f"{API}/rooms", params={"q": q}, headers=owner.headers)
        assert response.status_code == 200, response.text


async def test_unknown_room_and_member_ids(
    client: httpx.AsyncClient, setting: dict[str, Any]
) -> None:
    owner, rid = setting["owner"], setting["room"]["id"]
    missing = 2**63 - 1
    assert_problem(await client.get(f"{API}/rooms/{missing}", headers=owner.headers), 404)
    for path in (f"/rooms/{rid}/members/{missing}", f"/rooms/{rid}/bans/{missing}"):
        response = await client.delete(API + path, headers=owner.headers)
        assert response.status_code == 404
    for path in (f"/rooms/{rid}/invites", f"/rooms/{rid}/bans"):
        response = await client.post(API + path, json={"member_id": missing}, headers=owner.headers)
        assert_problem(response, 404, "member_not_found")
