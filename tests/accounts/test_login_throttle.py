"""Login throttling per account and per client address, with small limits: on the in-process
counters (embedded mode) and on the Redis ones (shared by every process)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from parley.app import create_app
from parley.core.config import Settings
from parley.core.runtime import Runtime
from tests.support.api import PASSWORD, assert_problem, login, signup
from tests.support.services import REDIS_URL, port_open, service_missing
from tests.support.services import test_settings as make_settings

API = "/api/v1"
PER_ACCOUNT = 3
PER_ADDRESS = 12
WINDOW = 60
HOME = "203.0.113.7"  # the address of the `client` fixture
ClientFactory = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(params=["memory", "redis"])
def counters(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings that pick the login counters: in-process, or in Redis under a fresh prefix."""
    if request.param == "memory":
        return {}
    if not port_open("127.0.0.1", 6379):
        service_missing("Redis", "nothing listens on 127.0.0.1:6379")
    return {"redis_url": REDIS_URL, "cluster_prefix": f"t{secrets.token_hex(6)}"}


@pytest.fixture
def settings(db_url: str, counters: dict[str, object]) -> Settings:
    """Overrides the conftest fixture, so `client` and `runtime` run with small limits."""
    return make_settings(
        db_url,
        login_failures_per_account=PER_ACCOUNT,
        login_attempts_per_address=PER_ADDRESS,
        login_window_seconds=WINDOW,
        **counters,
    )


@pytest.fixture
async def client_from(settings: Settings, runtime: Runtime) -> AsyncIterator[ClientFactory]:
    """Clients of one app (one throttle state) that differ only in their address."""
    app: FastAPI = create_app(settings, runtime)

    @asynccontextmanager
    async def make(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

    async with app.router.lifespan_context(app):
        yield make


async def attempt(
    client: httpx.AsyncClient, login_id: str, password: str = "wrong password"
) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"login_id": login_id, "password": password})


def assert_throttled(response: httpx.Response) -> None:
    body = assert_problem(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW and body["retry_after"] == retry_after
    assert "access_token" not in response.text


async def test_failures_throttle_the_account_even_for_the_right_password(
    client_from: ClientFactory,
) -> None:
    async with client_from(HOME) as home, client_from("198.51.100.20") as elsewhere:
        alice = await signup(home)
        bob = await signup(home)
        for _ in range(PER_ACCOUNT):
            assert_problem(await attempt(home, alice.login_id), 401, "invalid_credentials")
        assert_throttled(await attempt(home, alice.login_id, PASSWORD))
        # the account is throttled wherever the attempt comes from; other accounts are not
        assert_throttled(await attempt(elsewhere, alice.login_id, PASSWORD))
        await login(home, bob.login_id)
        # the tokens alice already holds still work: throttling guards logins only
        assert (await home.get(f"{API}/me", headers=alice.headers)).status_code == 200


async def test_a_success_resets_the_account_counter(client: httpx.AsyncClient) -> None:
    carol = await signup(client)
    for _ in range(2):
        for _ in range(PER_ACCOUNT - 1):
            assert_problem(await attempt(client, carol.login_id), 401, "invalid_credentials")
        await login(client, carol.login_id)
    assert_problem(await attempt(client, carol.login_id), 401, "invalid_credentials")


async def test_unknown_login_ids_are_throttled_like_real_ones(client: httpx.AsyncClient) -> None:
    """Otherwise the 429 itself would tell which login ids exist."""
    for _ in range(PER_ACCOUNT):
        assert_problem(await attempt(client, "ghost"), 401, "invalid_credentials")
    assert_throttled(await attempt(client, "ghost"))


async def test_many_attempts_from_one_address_throttle_it(client_from: ClientFactory) -> None:
    async with client_from(HOME) as home, client_from("198.51.100.30") as elsewhere:
        dave = await signup(elsewhere)
        for i in range(PER_ADDRESS):
            assert_problem(await attempt(home, f"someone_{i}"), 401, "invalid_credentials")
        # across accounts, even a correct login from that address now waits
        assert_throttled(await attempt(home, dave.login_id, PASSWORD))
        assert_throttled(await attempt(home, "someone_new"))
        await login(elsewhere, dave.login_id)


async def test_a_burst_of_concurrent_guesses_gets_no_more_than_the_limit(
    client: httpx.AsyncClient,
) -> None:
    """Guesses that arrive together must not all pass the check before any is counted."""
    erin = await signup(client)
    responses = await asyncio.gather(*(attempt(client, erin.login_id) for _ in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * PER_ACCOUNT + [429] * (10 - PER_ACCOUNT), statuses


async def test_the_window_ends(sqlite_url: str, counters: dict[str, object]) -> None:
    settings = make_settings(
        sqlite_url, login_failures_per_account=1, login_window_seconds=1, **counters
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(HOME, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert_problem(await attempt(http, "frank_window"), 401, "invalid_credentials")
            assert_problem(await attempt(http, "frank_window"), 429, "rate_limited")
            await asyncio.sleep(1.05)
            assert_problem(await attempt(http, "frank_window"), 401, "invalid_credentials")
