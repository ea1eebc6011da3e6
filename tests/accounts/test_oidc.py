"""OpenID Connect login against a real provider (npm `oidc-provider` in a Node process):
provisioning then linking by (issuer, sub), and each refusal the callback must make."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from parley.accounts import oidc
from parley.accounts import service as accounts
from parley.accounts.oidc_links import OidcLink, member_for_claims
from parley.core.config import Settings
from parley.core.runtime import Runtime
from parley.web.catalog import EN
from tests.support.api import PASSWORD, assert_problem
from tests.support.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Provider,
    running_provider,
    sign_in_at_provider,
)
from tests.support.services import test_settings

PARLEY = "http://testserver"
CALLBACK = f"{PARLEY}/auth/oidc/callback"
API = "/api/v1"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc"), [CALLBACK]) as running:
        yield running


@pytest.fixture
def overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(db_url: str, provider: Provider, overrides: dict[str, Any]) -> Settings:
    return test_settings(
        db_url,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_display_name="Test IdP",
        **overrides,
    )


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    """The browser's side at the provider (its own cookies: the provider's session)."""
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


async def start(client: httpx.AsyncClient, next_path: str = "/") -> str:
    response = await client.get("/auth/oidc/login", params={"next": next_path})
    assert response.status_code == 303, response.text
    assert client.cookies.get(oidc.FLOW_COOKIE), "the flow cookie is set"
    return response.headers["location"]


async def sign_in(
    client: httpx.AsyncClient, browser: httpx.AsyncClient, subject: str, next_path: str = "/"
) -> httpx.Response:
    """A whole sign-in: Parley → provider (login form, consent) → Parley's callback."""
    callback = await sign_in_at_provider(browser, await start(client, next_path), subject, PARLEY)
    return await client.get(callback)


async def me(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(f"{API}/me")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_provisions_then_links_the_same_member(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    page = await client.get("/login")
    assert "Sign in with Test IdP" in page.text and 'href="/auth/oidc/login"' in page.text
    authorize = urlsplit(await start(client, "/rooms"))
    query = parse_qs(authorize.query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert query["nonce"][0] and query["state"][0] and query["code_challenge"][0]

    done = await sign_in(client, browser, "alice.smith", "/rooms")
    assert done.status_code == 303 and done.headers["location"] == "/rooms", done.text
    assert client.cookies.get(oidc.FLOW_COOKIE) is None, "the flow cookie is spent"
    first = await me(client)
    assert first["login_id"] == "alice_smith" and first["nickname"] == "Name alice.smith"

    client.cookies.clear()  # signed out here; still signed in at the provider
    again = await sign_in(client, browser, "alice.smith")
    assert again.status_code == 303, again.text
    assert (await me(client))["id"] == first["id"]

    # another subject deriving the same login id gets a de-duplicated one
    client.cookies.clear()
    async with httpx.AsyncClient(timeout=30) as fresh:
        other = await sign_in(client, fresh, "alice_smith")
    assert other.status_code == 303, other.text
    second = await me(client)
    assert second["id"] != first["id"] and second["login_id"] == "alice_smith_2"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_wrong_or_missing_state_is_refused(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    callback = await sign_in_at_provider(browser, await start(client), "bob", PARLEY)
    flow = client.cookies.get(oidc.FLOW_COOKIE)
    tampered = callback.replace("state=", "state=x")
    refused = await client.get(tampered)
    assert refused.status_code == 400 and EN["error.oidc_state_invalid"] in refused.text
    assert client.cookies.get("parley_access") is None
    client.cookies.clear()  # no flow cookie at all (another browser's callback)
    refused = await client.get(callback)
    assert refused.status_code == 400 and EN["error.oidc_state_invalid"] in refused.text
    # a forged flow cookie (not signed with the site's key) is no better
    forged = flow[:-4] + ("AAAA" if not flow.endswith("AAAA") else "BBBB") if flow else "x"
    refused = await client.get(callback, headers={"cookie": f"{oidc.FLOW_COOKIE}={forged}"})
    assert refused.status_code == 400 and EN["error.oidc_state_invalid"] in refused.text
    assert client.cookies.get("parley_access") is None


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_replayed_code_is_refused(
    client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    callback = await sign_in_at_provider(browser, await start(client), "carol", PARLEY)
    flow = client.cookies.get(oidc.FLOW_COOKIE)
    assert (await client.get(callback)).status_code == 303
    client.cookies.clear()
    replay = await client.get(callback, headers={"cookie": f"{oidc.FLOW_COOKIE}={flow}"})
    assert replay.status_code == 400 and EN["error.oidc_exchange_failed"] in replay.text
    assert "parley_access" not in replay.cookies


async def token_for(provider: Provider, client_id: str) -> tuple[str, str]:
    """A real ID token the provider issued to `client_id` (and the nonce asked for)."""
    other = Settings.model_validate(
        {
            **test_settings("sqlite+aiosqlite:///:memory:").model_dump(),
            "oidc_issuer": provider.issuer,
            "oidc_client_id": client_id,
            "oidc_client_secret": CLIENT_SECRET,
        }
    )
    flow = oidc.new_flow("/")
    async with oidc.http_client() as http, httpx.AsyncClient(timeout=30) as browser:
        meta = await oidc.discover(http, provider.issuer)
        url = oidc.authorization_url(other, meta, flow, CALLBACK)
        callback = await sign_in_at_provider(browser, url, "dave", PARLEY)
        code = parse_qs(urlsplit(callback).query)["code"][0]
        token = await oidc.exchange_code(http, other, meta, code, flow.verifier, CALLBACK)
    return token, flow.nonce


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_token_for_another_client_is_refused(
    settings: Settings, provider: Provider
) -> None:
    token, nonce = await token_for(provider, "other")
    async with oidc.http_client() as http:
        meta = await oidc.discover(http, provider.issuer)
        as_other = settings.model_copy(update={"oidc_client_id": "other"})
        assert (await oidc.validate_id_token(http, as_other, meta, token, nonce))["sub"] == "dave"
        with pytest.raises(oidc.OidcError) as refused:
            await oidc.validate_id_token(http, settings, meta, token, nonce)
        assert refused.value.code == "oidc_invalid_token" and "another client" in str(refused.value)
        with pytest.raises(oidc.OidcError) as wrong_nonce:
            await oidc.validate_id_token(http, as_other, meta, token, nonce + "x")
        assert "nonce" in str(wrong_nonce.value)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_an_expired_token_is_refused(settings: Settings, provider: Provider) -> None:
    token, nonce = await token_for(provider, "shortlived")  # ID tokens live one second
    strict = settings.model_copy(
        update={"oidc_client_id": "shortlived", "oidc_clock_skew_seconds": 0}
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    await asyncio.sleep(max(0.0, claims["exp"] - time.time()) + 1.1)
    async with oidc.http_client() as http:
        meta = await oidc.discover(http, provider.issuer)
        with pytest.raises(oidc.OidcError) as refused:
            await oidc.validate_id_token(http, strict, meta, token, nonce)
    assert refused.value.code == "oidc_invalid_token" and "expired" in str(refused.value)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "overrides", [{"local_passwords": False, "oidc_auto_provision": False}], indirect=True
)
async def test_local_passwords_off(
    client: httpx.AsyncClient, runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    async with runtime.db.sessions() as session:
        await accounts.signup(session, runtime, "erin_01", "Erin", PASSWORD, gate=False)
    refused = await client.post(
        f"{API}/auth/login", json={"login_id": "erin_01", "password": PASSWORD}
    )
    assert_problem(refused, 403, "local_passwords_disabled")
    signup = {"login_id": "frank_01", "nickname": "Frank", "password": PASSWORD}
    assert_problem(await client.post(f"{API}/auth/signup", json=signup), 403)
    page = await client.get("/login")
    assert "Sign in with Test IdP" in page.text and 'name="password"' not in page.text
    form = {"login_id": "erin_01", "password": PASSWORD, "csrf_token": "t" * 43}
    client.cookies.set("parley_csrf", "t" * 43)
    web = await client.post("/login", data=form)
    assert web.status_code == 403 and EN["error.local_passwords_disabled"] in web.text
    # without auto-provisioning an unlinked provider account gets no member
    no_account = await sign_in(client, browser, "mallory")
    assert no_account.status_code == 403 and EN["error.oidc_no_account"] in no_account.text
    assert client.cookies.get("parley_access") is None


async def test_racing_first_logins_end_with_one_member(
    runtime: Runtime, settings: Settings
) -> None:
    """Two tabs finishing a first login at once: one member, one link, no error."""
    claims = {"sub": "racer", "preferred_username": "racer", "name": "Racer"}
    issuer = settings.oidc_issuer or ""

    async def first_login() -> int:
        async with runtime.db.sessions() as session:
            return (await member_for_claims(session, runtime, issuer, claims)).id

    ids = await asyncio.gather(*(first_login() for _ in range(4)))
    assert len(set(ids)) == 1
    async with runtime.db.read_sessions() as session:
        links = await session.scalar(select(func.count()).select_from(OidcLink))
    assert links == 1
