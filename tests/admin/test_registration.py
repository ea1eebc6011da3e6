"""Registration modes, invite codes, the per-address sign-up throttle, held-back login ids."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from parley.app import create_app
from parley.core.config import Settings
from parley.core.runtime import Runtime
from tests.admin.support import make_admin
from tests.support.api import PASSWORD, assert_problem, signup
from tests.support.services import test_settings

SIGNUP = "/api/v1/auth/signup"


def _body(login_id: str, **extra: object) -> dict[str, object]:
    return {"login_id": login_id, "nickname": login_id, "password": PASSWORD, **extra}


async def _mode(client: httpx.AsyncClient, admin_headers: dict[str, str], mode: str) -> None:
    response = await client.patch(
        "/api/v1/admin/settings", json={"registration": mode}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"registration": mode}


async def test_modes_and_invites(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    assert (await client.get("/api/v1/auth/registration")).json() == {"registration": "open"}
    await _mode(client, admin.headers, "closed")
    assert_problem(await client.post(SIGNUP, json=_body("closed1")), 403, "registration_closed")
    await _mode(client, admin.headers, "invite")
    assert (await client.get("/api/v1/auth/registration")).json() == {"registration": "invite"}
    assert_problem(await client.post(SIGNUP, json=_body("noinvite")), 403, "invite_required")
    made = await client.post("/api/v1/admin/invites", json={"max_uses": 2}, headers=admin.headers)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    wrong = await client.post(SIGNUP, json=_body("wrong1", invite_code="AAAA-BBBB"))
    assert_problem(wrong, 403, "invalid_invite")
    # the code as typed: case and dashes do not matter; two uses, then it is used up
    first = await client.post(SIGNUP, json=_body("invited1", invite_code=code.lower()))
    assert first.status_code == 201, first.text
    second = await client.post(SIGNUP, json=_body("invited2", invite_code=code.replace("-", "")))
    assert second.status_code == 201, second.text
    assert_problem(
        await client.post(SIGNUP, json=_body("invited3", invite_code=code)), 403, "invalid_invite"
    )
    listed = (await client.get("/api/v1/admin/invites", headers=admin.headers)).json()
    assert [(i["uses"], i["state"]) for i in listed] == [(2, "used_up")]
    assert "code" not in listed[0]  # only its digest is stored
    # a failed sign-up (taken id) does not spend a use
    other = (
        await client.post("/api/v1/admin/invites", json={"max_uses": 1}, headers=admin.headers)
    ).json()
    taken = await client.post(SIGNUP, json=_body("invited1", invite_code=other["code"]))
    assert_problem(taken, 409, "login_id_taken")
    revoked = await client.delete(f"/api/v1/admin/invites/{other['id']}", headers=admin.headers)
    assert revoked.status_code == 204
    after = await client.post(SIGNUP, json=_body("invited4", invite_code=other["code"]))
    assert_problem(after, 403, "invalid_invite")
    await _mode(client, admin.headers, "open")
    assert (await client.post(SIGNUP, json=_body("opened1"))).status_code == 201


async def test_expired_invite(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    await _mode(client, admin.headers, "invite")
    made = await client.post(
        "/api/v1/admin/invites",
        json={"max_uses": 5, "expires_in_seconds": 60},
        headers=admin.headers,
    )
    code = made.json()["code"]
    from sqlalchemy import update

    from parley.accounts.models import SignupInvite
    from parley.core.database import utcnow

    async with runtime.db.sessions() as session:
        await session.execute(update(SignupInvite).values(expires_at=utcnow()))
        await session.commit()
    expired = await client.post(SIGNUP, json=_body("late1", invite_code=code))
    assert_problem(expired, 403, "invalid_invite")
    listed = (await client.get("/api/v1/admin/invites", headers=admin.headers)).json()
    assert listed[0]["state"] == "expired"


@pytest.fixture
async def strict_client(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a server that takes three sign-ups per address."""
    settings: Settings = test_settings(db_url, signups_per_address=3)
    runtime = Runtime.build(settings)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield http
    finally:
        await runtime.close()


async def test_signups_throttled_per_address(
    strict_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for n in range(3):
        response = await strict_client.post(SIGNUP, json=_body(f"thr{n}_{id(runtime) % 9999}"))
        assert response.status_code == 201, response.text
    refused = await strict_client.post(SIGNUP, json=_body(f"thr9_{id(runtime) % 9999}"))
    body = assert_problem(refused, 429, "rate_limited")
    assert body["code"] == "rate_limited" and int(refused.headers["retry-after"]) > 0


async def test_withdrawn_login_id_is_reserved(client: httpx.AsyncClient, runtime: Runtime) -> None:
    member = await signup(client, login_id="leaving1")
    gone = await client.request(
        "DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=member.headers
    )
    assert gone.status_code == 204
    assert_problem(await client.post(SIGNUP, json=_body("leaving1")), 409, "login_id_taken")
    # once the reservation ends the id is free again
    from sqlalchemy import update

    from parley.accounts.models import ReservedLoginId
    from parley.core.database import utcnow

    async with runtime.db.sessions() as session:
        await session.execute(update(ReservedLoginId).values(until=utcnow()))
        await session.commit()
    assert (await client.post(SIGNUP, json=_body("leaving1"))).status_code == 201
