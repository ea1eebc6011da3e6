"""The notice board through HTTP: everyone reads, site admins write."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from parley.core.runtime import Runtime
from tests.rooms.support import API, site_admin
from tests.support.api import Account, assert_problem, signup


@pytest.fixture
async def admin(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    return await site_admin(client, runtime, "boardadmin")


async def _post(client: httpx.AsyncClient, admin: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/notices", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    notice: dict[str, Any] = response.json()
    return notice


async def test_admin_writes_everyone_reads(client: httpx.AsyncClient, admin: Account) -> None:
    notice = await _post(
        client, admin, title="  Maintenance  ", body="Down at **noon**.\r\n\r\n[x](javascript:1)"
    )
    assert notice["title"] == "Maintenance"
    assert notice["body_markdown"] == "Down at **noon**.\n\n[x](javascript:1)"
    assert "<strong>noon</strong>" in notice["body_html"]
    assert "href" not in notice["body_html"]
    assert notice["author"] == {"id": admin.id, "nickname": admin.nickname}

    anonymous = await client.get(f"{API}/notices/{notice['id']}")
    assert anonymous.status_code == 200 and anonymous.json() == notice

    edited = await client.patch(
        f"{API}/notices/{notice['id']}", json={"body": "# New"}, headers=admin.headers
    )
    assert edited.status_code == 200
    assert (
        edited.json()["title"] == "Maintenance" and edited.json()["body_html"] == "<h1>New</h1>\n"
    )
    assert edited.json()["updated_at"] >= notice["updated_at"]

    gone = await client.delete(f"{API}/notices/{notice['id']}", headers=admin.headers)
    assert gone.status_code == 204
    assert_problem(await client.get(f"{API}/notices/{notice['id']}"), 404, "notice_not_found")
    assert_problem(
        await client.delete(f"{API}/notices/{notice['id']}", headers=admin.headers),
        404,
        "notice_not_found",
    )


async def test_only_site_admins_write(client: httpx.AsyncClient, admin: Account) -> None:
    notice = await _post(client, admin, title="Hello", body="body")
    member = await signup(client)
    nid = notice["id"]
    attempts = (
        ("POST", "/notices", {"title": "t", "body": "b"}),
        ("PATCH", f"/notices/{nid}", {"title": "t"}),
        ("DELETE", f"/notices/{nid}", None),
    )
    for method, path, body in attempts:
        assert_problem(await client.request(method, API + path, json=body), 401)
        response = await client.request(method, API + path, json=body, headers=member.headers)
        assert_problem(response, 403, "admin_only")
    assert (await client.get(f"{API}/notices/{nid}")).json()["title"] == "Hello"


async def test_pages_are_newest_first(client: httpx.AsyncClient, admin: Account) -> None:
    for i in range(12):
        await _post(client, admin, title=f"notice {i}", body="b")
    first = (await client.get(f"{API}/notices")).json()
    second = (await client.get(f"{API}/notices?page=2")).json()
    assert [n["title"] for n in first["items"]] == [f"notice {i}" for i in range(11, 1, -1)]
    assert first["has_more"] is True and first["page_size"] == 10
    assert [n["title"] for n in second["items"]] == ["notice 1", "notice 0"]
    assert second["has_more"] is False


async def test_withdrawn_author_leaves_the_notice(
    client: httpx.AsyncClient, admin: Account
) -> None:
    notice = await _post(client, admin, title="Kept", body="b")
    gone = await client.request(
        "DELETE", f"{API}/me", json={"password": admin.password}, headers=admin.headers
    )
    assert gone.status_code == 204
    kept = (await client.get(f"{API}/notices/{notice['id']}")).json()
    assert kept["title"] == "Kept" and kept["author"] is None


BAD_BODIES: tuple[Any, ...] = (
    {},
    {"title": "t"},
    {"body": "b"},
    {"title": "", "body": "b"},
    {"title": "t", "body": ""},
    {"title": "t", "body": " \n\t "},
    {"title": "x" * 201, "body": "b"},
    {"title": "nul\x00", "body": "b"},
    {"title": "two\nlines", "body": "b"},
    {"title": "t", "body": "b" * 20_001},
    {"title": "t", "body": "b", "author_id": 1},
    {"title": 1, "body": "b"},
    {"title": "t", "body": ["b"]},
    {"title": None, "body": "b"},
    [],
)


async def test_hostile_input(client: httpx.AsyncClient, admin: Account) -> None:
    notice = await _post(client, admin, title="'; DROP TABLE notices; --", body="\x00\x07ok\x1b")
    assert notice["title"] == "'; DROP TABLE notices; --" and notice["body_markdown"] == "ok"
    for body in BAD_BODIES:
        response = await client.post(f"{API}/notices", json=body, headers=admin.headers)
        assert_problem(response, 422, "validation_failed")
        if body != {} and body != {"title": "t"} and body != {"body": "b"}:
            response = await client.patch(
                f"{API}/notices/{notice['id']}", json=body, headers=admin.headers
            )
            assert_problem(response, 422, "validation_failed")
    headers = {**admin.headers, "content-type": "application/json"}
    for method, path in (("POST", "/notices"), ("PATCH", f"/notices/{notice['id']}")):
        response = await client.request(method, API + path, content=b'{"title":', headers=headers)
        assert_problem(response, 400, "malformed_json")
    for bad in (str(2**63), "0", "-5", "x"):
        assert_problem(await client.get(f"{API}/notices/{bad}"), 422, "validation_failed")
        response = await client.delete(f"{API}/notices/{bad}", headers=admin.headers)
        assert_problem(response, 422, "validation_failed")
    for page in (str(2**63), "0", "y"):
        assert_problem(await client.get(f"{API}/notices?page={page}"), 422, "validation_failed")
    assert_problem(await client.get(f"{API}/notices/{2**63 - 1}"), 404, "notice_not_found")
