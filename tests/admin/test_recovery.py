"""Recovery without e-mail: a member's ten codes, an admin's one code, `parley admin recover`."""

from __future__ import annotations

import httpx

from parley.core.runtime import Runtime
from tests.admin.support import make_admin
from tests.support.api import PASSWORD, assert_problem, login, signup

NEW = "a brand new password"


async def _codes(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.post(
        "/api/v1/me/recovery-codes", json={"password": PASSWORD}, headers=headers
    )
    assert response.status_code == 200, response.text
    codes: list[str] = response.json()["codes"]
    return codes


async def _recover(
    client: httpx.AsyncClient, login_id: str, code: str, password: str = NEW
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/recover",
        json={"login_id": login_id, "code": code, "new_password": password},
    )


async def test_member_codes(client: httpx.AsyncClient, runtime: Runtime) -> None:
    member = await signup(client)
    wrong = await client.post(
        "/api/v1/me/recovery-codes", json={"password": "not the password"}, headers=member.headers
    )
    assert_problem(wrong, 403, "wrong_password")
    old = await _codes(client, member.headers)
    codes = await _codes(client, member.headers)  # regenerating replaces them
    assert len(codes) == 10 and len(set(codes)) == 10 and not set(old) & set(codes)
    left = await client.get("/api/v1/me/recovery-codes", headers=member.headers)
    assert left.json() == {"remaining": 10}
    assert_problem(await _recover(client, member.login_id, old[0]), 401, "invalid_recovery")
    assert_problem(await _recover(client, "nobody_here", codes[0]), 401, "invalid_recovery")
    assert (await _recover(client, member.login_id, codes[0])).status_code == 204
    # every session ended: the refresh token is dead, the access token too
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": member.refresh_token}
    )
    assert_problem(refreshed, 401)
    assert_problem(await client.get("/api/v1/me", headers=member.headers), 401, "session_revoked")
    again = await login(client, member.login_id, NEW)
    # one time only
    assert_problem(await _recover(client, member.login_id, codes[0], PASSWORD), 401)
    left = await client.get("/api/v1/me/recovery-codes", headers=again.headers)
    assert left.json() == {"remaining": 9}
    # the codes are stored as digests, never as typed
    from sqlalchemy import select

    from parley.accounts.models import RecoveryCode

    async with runtime.db.read_sessions() as session:
        stored = set(await session.scalars(select(RecoveryCode.code_hash)))
    assert not stored & {c.replace("-", "") for c in codes} and len(stored) == 10


async def test_recover_is_throttled(client: httpx.AsyncClient, runtime: Runtime) -> None:
    member = await signup(client)
    codes = await _codes(client, member.headers)
    limit = runtime.settings.login_failures_per_account
    for _ in range(limit):
        assert_problem(await _recover(client, member.login_id, "0000-0000"), 401)
    # past the account's budget even the right code is refused, as a login would be
    assert_problem(await _recover(client, member.login_id, codes[1]), 429, "rate_limited")


async def test_admin_issued_code(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await make_admin(client, runtime)
    member = await signup(client)
    issued = await client.post(f"/api/v1/admin/members/{member.id}/recovery", headers=admin.headers)
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    assert issued.json()["expires_at"]
    assert (await _recover(client, member.login_id, code)).status_code == 204
    assert_problem(await _recover(client, member.login_id, code, PASSWORD), 401)
    await login(client, member.login_id, NEW)
    audit = (
        await client.get("/api/v1/admin/audit?action=member.recovery", headers=admin.headers)
    ).json()
    assert [(e["actor_id"], e["target_id"]) for e in audit["items"]] == [(admin.id, member.id)]
    unknown = await client.post("/api/v1/admin/members/999999/recovery", headers=admin.headers)
    assert_problem(unknown, 404, "member_not_found")
