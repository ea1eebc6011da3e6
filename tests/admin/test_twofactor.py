"""Optional TOTP two-factor sign-in, and PARLEY_REQUIRE_2FA_FOR_ADMINS."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pyotp
import pytest

from parley.accounts import service
from parley.app import create_app
from parley.core.runtime import Runtime
from tests.support.api import PASSWORD, Account, assert_problem, login, signup
from tests.support.services import test_settings

API = "/api/v1"


def _login_body(account: Account, code: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"login_id": account.login_id, "password": PASSWORD}
    if code is not None:
        body["totp_code"] = code
    return body


async def _turn_on(client: httpx.AsyncClient, account: Account) -> tuple[pyotp.TOTP, str]:
    wrong = await client.post(
        f"{API}/me/2fa/setup", json={"password": "not it at all"}, headers=account.headers
    )
    assert_problem(wrong, 403, "wrong_password")
    setup = await client.post(
        f"{API}/me/2fa/setup", json={"password": PASSWORD}, headers=account.headers
    )
    assert setup.status_code == 200, setup.text
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(setup.json()["secret"])
    bad = "000000" if totp.now() != "000000" else "111111"
    assert_problem(
        await client.post(f"{API}/me/2fa/enable", json={"code": bad}, headers=account.headers),
        422,
        "invalid_totp",
    )
    first = totp.now()
    enabled = await client.post(
        f"{API}/me/2fa/enable", json={"code": first}, headers=account.headers
    )
    assert enabled.status_code == 204, enabled.text
    return totp, first


async def test_login_needs_a_fresh_code(client: httpx.AsyncClient) -> None:
    member = await signup(client)
    totp, first = await _turn_on(client, member)
    assert (await client.get(f"{API}/me/2fa", headers=member.headers)).json() == {"enabled": True}
    missing = await client.post(f"{API}/auth/login", json=_login_body(member))
    assert_problem(missing, 401, "two_factor_required")
    used = await client.post(f"{API}/auth/login", json=_login_body(member, first))
    assert_problem(used, 401, "invalid_totp")  # the code that turned it on is spent
    # the next step's code (accepted for clock drift, and never used before)
    nxt = totp.at(time.time() + totp.interval)
    if nxt == first:  # pragma: no cover - a one-in-a-million repeat
        return
    done = await client.post(f"{API}/auth/login", json=_login_body(member, nxt))
    assert done.status_code == 200, done.text
    replay = await client.post(f"{API}/auth/login", json=_login_body(member, nxt))
    assert_problem(replay, 401, "invalid_totp")
    assert_problem(await client.post(f"{API}/auth/login", json=_login_body(member, "12345a")), 422)
    headers = {"Authorization": f"Bearer {done.json()['access_token']}"}
    off = await client.post(f"{API}/me/2fa/disable", json={"password": PASSWORD}, headers=headers)
    assert off.status_code == 204
    await login(client, member.login_id)


async def test_recovery_turns_two_factor_off(client: httpx.AsyncClient) -> None:
    member = await signup(client)
    await _turn_on(client, member)
    codes = (
        await client.post(
            f"{API}/me/recovery-codes", json={"password": PASSWORD}, headers=member.headers
        )
    ).json()["codes"]
    new = "lost my phone too"
    body = {"login_id": member.login_id, "code": codes[0], "new_password": new}
    assert (await client.post(f"{API}/auth/recover", json=body)).status_code == 204
    await login(client, member.login_id, new)


@pytest.fixture
async def strict_admins(db_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    settings = test_settings(db_url, require_2fa_for_admins=True, signups_per_address=1000)
    runtime = Runtime.build(settings)
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                yield http, runtime
    finally:
        await runtime.close()


async def test_admins_must_turn_it_on(
    strict_admins: tuple[httpx.AsyncClient, Runtime], runtime: Runtime
) -> None:
    client, own = strict_admins
    async with own.db.sessions() as session:
        await service.create_admin(session, own, "strictadmin", "Strict", PASSWORD)
    admin = await login(client, "strictadmin")
    refused = await client.get(f"{API}/admin/settings", headers=admin.headers)
    assert_problem(refused, 403, "two_factor_required")
    totp, _ = await _turn_on(client, admin)
    fresh = await client.post(
        f"{API}/auth/login",
        json=_login_body(admin, totp.at(time.time() + totp.interval)),
    )
    headers = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert (await client.get(f"{API}/admin/settings", headers=headers)).status_code == 200
