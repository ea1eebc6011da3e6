"""Forged, expired, malformed and misplaced credentials on every authenticated endpoint.

A credential problem is always a 401 problem with a stable code (or a 403 for a failed CSRF
check), never a 500, and never reaches the protected action.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from parley.accounts.deps import ACCESS_COOKIE, CSRF_COOKIE, CSRF_HEADER
from parley.core.config import Settings
from tests.support.api import PASSWORD, Account, assert_problem, signup

API = "/api/v1"
OTHER_KEY = "not-the-server-key-" + "y" * 32
DROP: Any = object()  # a claim value meaning "leave this claim out"

#: every route that needs a member, with a body that would succeed
PROTECTED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/me", None),
    ("PATCH", "/me", {"nickname": "Hijacked"}),
    ("DELETE", "/me", {"password": PASSWORD}),
    ("POST", "/me/password", {"current_password": PASSWORD, "new_password": "hijacked secret"}),
    ("GET", "/members?q=a", None),
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(
    settings: Settings,
    account: Account,
    *,
    key: str | None = None,
    alg: str = "HS256",
    **changes: Any,
) -> str:
    """A token like the account's own, with some claims changed or dropped and its own key."""
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    for name, value in changes.items():
        if value is DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    return jwt.encode(claims, key or settings.signing_key, algorithm=alg)


def unsigned(account: Account) -> str:
    """`alg: none` with the account's own claims: valid in every respect but the signature."""
    payload = account.access_token.split(".")[1]
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{payload}."


def bad_tokens(settings: Settings, me: Account, other: Account) -> list[tuple[str, str, str]]:
    """(label, token, expected code) for tokens that must not authenticate `me`."""
    past = datetime.now(UTC) - timedelta(hours=1)
    sid = jwt.decode(me.access_token, options={"verify_signature": False})["sid"]
    cases: list[tuple[str, str, str]] = [
        ("alg none", unsigned(me), "invalid_token"),
        ("another key", forge(settings, me, key=OTHER_KEY), "invalid_token"),
        ("HS512, right key", forge(settings, me, alg="HS512"), "invalid_token"),
        (
            "expired",
            forge(settings, me, exp=past, iat=past - timedelta(minutes=15)),
            "invalid_token",
        ),
        ("exp 10**30", forge(settings, me, exp=10**30), "invalid_token"),
        ("exp a string", forge(settings, me, exp="tomorrow"), "invalid_token"),
        ("wrong issuer", forge(settings, me, iss="elsewhere"), "invalid_token"),
        ("sub an int", forge(settings, me, sub=me.id), "invalid_token"),
        ("sub a word", forge(settings, me, sub="alice"), "invalid_token"),
        ("sub negative", forge(settings, me, sub="-1"), "invalid_token"),
        ("sub zero", forge(settings, me, sub="0"), "invalid_token"),
        ("sub 10**30", forge(settings, me, sub=str(10**30)), "invalid_token"),
        ("sub with spaces", forge(settings, me, sub=f" {me.id} "), "invalid_token"),
        ("sub a list", forge(settings, me, sub=[me.id]), "invalid_token"),
        ("sid an int", forge(settings, me, sid=7), "invalid_token"),
        ("sid with NUL", forge(settings, me, sid="\x00" * 32), "invalid_token"),
        ("sid 10k chars", forge(settings, me, sid="a" * 10_000), "invalid_token"),
        ("sid of nothing", forge(settings, me, sid="0" * 32), "session_revoked"),
        ("my sid, other's sub", forge(settings, me, sub=str(other.id)), "session_revoked"),
        ("other's sid, my sub", forge(settings, other, sub=str(me.id)), "session_revoked"),
        ("unknown member", forge(settings, me, sub=str(2**63 - 1), sid=sid), "session_revoked"),
        ("garbage", "garbage", "invalid_token"),
        ("three dots", "a.b.c", "invalid_token"),
        ("empty parts", "..", "invalid_token"),
        ("refresh token", me.refresh_token, "invalid_token"),
        ("non-ASCII", "tökén", "invalid_token"),
        ("huge", "a" * 6000, "invalid_token"),
    ]
    for claim in ("exp", "iat", "sub", "jti", "sid", "iss"):
        cases.append((f"no {claim}", forge(settings, me, **{claim: DROP}), "invalid_token"))
    return cases


@pytest.fixture
async def pair(client: httpx.AsyncClient) -> tuple[Account, Account]:
    return await signup(client, nickname="Target"), await signup(client, nickname="Other")


async def _unchanged(client: httpx.AsyncClient, me: Account) -> None:
    """The protected actions did not happen: same nickname, same password, same sessions."""
    profile = await client.get(f"{API}/me", headers=me.headers)
    assert profile.status_code == 200 and profile.json()["nickname"] == "Target"
    refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": me.refresh_token})
    assert refreshed.status_code == 200


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS512 forgery
@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
async def test_forged_and_broken_tokens_are_refused(
    client: httpx.AsyncClient,
    settings: Settings,
    pair: tuple[Account, Account],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    me, other = pair
    mismatches = []
    for label, token, code in bad_tokens(settings, me, other):
        response = await client.request(
            method,
            f"{API}{path}",
            json=body,
            headers={b"Authorization": f"Bearer {token}".encode()},  # bytes: non-ASCII allowed
        )
        try:
            assert_problem(response, 401, code)
            assert response.headers["www-authenticate"] == "Bearer"
        except (AssertionError, KeyError) as exc:
            mismatches.append(f"{label}: {response.status_code} {response.text[:160]} {exc}")
    assert mismatches == []
    await _unchanged(client, me)


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
async def test_malformed_authorization_headers_are_refused(
    client: httpx.AsyncClient,
    pair: tuple[Account, Account],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    me, _ = pair
    cases = [
        ("", "invalid_token"),
        ("Bearer", "invalid_token"),
        ("Bearer    ", "invalid_token"),
        (f"Bearer{me.access_token}", "invalid_token"),
        (f"Basic {_b64(b'target:' + PASSWORD.encode())}", "invalid_token"),
        (f"Token {me.access_token}", "invalid_token"),
        (f"Bearer {me.access_token} extra", "invalid_token"),
        (f"Bearer {me.access_token[:-2]}", "invalid_token"),
    ]
    mismatches = []
    for header, code in cases:
        response = await client.request(
            method, f"{API}{path}", json=body, headers={"Authorization": header}
        )
        if response.status_code != 401 or response.json().get("code") != code:
            mismatches.append(f"{header[:30]!r}: {response.status_code} {response.text[:160]}")
    assert mismatches == []
    bare = await client.request(method, f"{API}{path}", json=body)
    assert_problem(bare, 401, "unauthenticated")
    await _unchanged(client, me)


async def test_an_authorization_header_is_case_insensitive_in_its_scheme(
    client: httpx.AsyncClient, pair: tuple[Account, Account]
) -> None:
    me, _ = pair
    response = await client.get(f"{API}/me", headers={"Authorization": f"bearer {me.access_token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("csrf_cookie", "csrf_header", "status", "code"),
    [
        (None, None, 403, "csrf_failed"),
        ("abc", None, 403, "csrf_failed"),
        (None, "abc", 403, "csrf_failed"),
        ("abc", "abd", 403, "csrf_failed"),
        ("", "", 403, "csrf_failed"),
        ("abc", "abc", 200, None),
    ],
)
async def test_cookie_sessions_need_the_csrf_token_on_unsafe_calls(
    client: httpx.AsyncClient,
    pair: tuple[Account, Account],
    csrf_cookie: str | None,
    csrf_header: str | None,
    status: int,
    code: str | None,
) -> None:
    me, _ = pair
    cookies = {ACCESS_COOKIE: me.access_token}
    if csrf_cookie is not None:
        cookies[CSRF_COOKIE] = csrf_cookie
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if csrf_header is not None:
        headers[CSRF_HEADER] = csrf_header
    # a safe method needs no CSRF token
    assert (await client.get(f"{API}/me", headers=headers)).status_code == 200
    response = await client.patch(f"{API}/me", headers=headers, json={"nickname": "Via Cookie"})
    if code is None:
        assert response.status_code == status and response.json()["nickname"] == "Via Cookie"
    else:
        assert_problem(response, status, code)
        await _unchanged(client, me)


async def test_a_bad_cookie_token_is_unauthenticated(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/me", headers={"Cookie": f"{ACCESS_COOKIE}=garbage"})
    assert_problem(response, 401, "invalid_token")
