"""Hostile input on every accounts endpoint: always a problem+json with a stable code, never a
500, and nothing changes in the database.

Each test walks a table of attacks against one endpoint and reports every mismatch at once,
so one run shows the whole picture and the suite stays fast on three databases.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from parley.accounts import service
from parley.core.runtime import Runtime
from tests.support.api import PASSWORD, Account, assert_problem, login, signup

API = "/api/v1"
ONE_MB = 1024 * 1024
SQL_INJECTION = "' OR 1=1 --"


@dataclass(frozen=True)
class Attack:
    """One request variant and the problem it must produce."""

    label: str
    request: dict[str, Any]
    status: int
    code: str
    #: the field the 422 must name (validation errors list the offending fields)
    names: str | None = None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    #: field -> the kind of value it holds (which bad values to try)
    fields: dict[str, str]
    #: the valid body, built from the logged-in member
    valid: Callable[[Account], dict[str, str]]
    auth: bool = True


ENDPOINTS = {
    "signup": Endpoint(
        "POST",
        "/auth/signup",
        {"login_id": "login_id", "nickname": "nickname", "password": "new_password"},
        lambda a: {"login_id": "newcomer", "nickname": "Newcomer", "password": PASSWORD},
        auth=False,
    ),
    "login": Endpoint(
        "POST",
        "/auth/login",
        {"login_id": "login_id", "password": "given_password"},
        lambda a: {"login_id": a.login_id, "password": a.password},
        auth=False,
    ),
    "refresh": Endpoint(
        "POST",
        "/auth/refresh",
        {"refresh_token": "token"},
        lambda a: {"refresh_token": a.refresh_token},
        auth=False,
    ),
    "logout": Endpoint(
        "POST",
        "/auth/logout",
        {"refresh_token": "token"},
        lambda a: {"refresh_token": a.refresh_token},
        auth=False,
    ),
    "rename": Endpoint("PATCH", "/me", {"nickname": "nickname"}, lambda a: {"nickname": "Renamed"}),
    "withdraw": Endpoint(
        "DELETE", "/me", {"password": "given_password"}, lambda a: {"password": a.password}
    ),
    "password": Endpoint(
        "POST",
        "/me/password",
        {"current_password": "given_password", "new_password": "new_password"},
        lambda a: {"current_password": a.password, "new_password": "another good secret"},
    ),
}

#: values of the right JSON type that break a field's rule, by kind of field
BAD_VALUES: dict[str, list[str]] = {
    "login_id": [
        SQL_INJECTION,
        "",
        "ab",
        "a" * 33,
        "Alice",
        "alice\n",
        "al\x00ice",
        "\uff41\uff4c\uff49\uff43\uff45",  # fullwidth "alice": looks like a-z, is not
        "x" * 10_000,
    ],
    "nickname": [
        "",
        "   ",
        "\x00",
        "nul\x00inside",
        "bell\x07",
        "line\nbreak",
        "tab\there",
        "para\u2028sep",
        "del\x7f",
        "zero\u200bwidth",
        "x" * 33,
        "x" * 200_000,
    ],
    "new_password": ["", "seven77", "x" * 129, "x" * 200_000],
    "given_password": ["", "x" * 129],
    "token": ["", "x" * 257],
}
#: JSON values of the wrong type for any string field; `10**30` cannot be a string either
WRONG_TYPES: list[Any] = [None, True, 1, 10**30, 1.5, [], ["x"], {}, {"$ne": ""}]


def _problem_mismatch(response: httpx.Response, attack: Attack) -> str | None:
    """None when the response is the expected problem, else a one-line description."""
    try:
        assert_problem(response, attack.status, attack.code)
        if attack.names is not None:
            named = {e["field"] for e in response.json()["errors"]}
            assert attack.names in named, named
    except (AssertionError, KeyError, ValueError) as exc:
        return f"{attack.label}: got {response.status_code} {response.text[:200]!r} ({exc})"
    return None


async def _chunks(total: int) -> AsyncIterator[bytes]:
    """A body sent without Content-Length, so only counting the bytes can stop it."""
    chunk = b" " * 65_536
    for _ in range(total // len(chunk)):
        yield chunk


def _raw(body: dict[str, Any], name: str, literal: str) -> bytes:
    """The body as JSON with one field replaced by a raw JSON literal (e.g. an escape)."""
    return json.dumps({**body, name: "@@"}).encode().replace(b'"@@"', literal.encode("latin-1"))


def body_attacks(endpoint: Endpoint, valid: dict[str, str]) -> list[Attack]:
    """Every way to send a wrong body to an endpoint that takes one."""
    as_json = {"content-type": "application/json"}
    valid_bytes = json.dumps(valid).encode()
    attacks = [
        Attack("no body", {}, 422, "validation_failed", "body"),
        Attack("empty JSON body", {"headers": as_json}, 422, "validation_failed", "body"),
        Attack("JSON null", {"content": b"null", "headers": as_json}, 422, "validation_failed"),
        Attack("JSON array", {"json": [valid]}, 422, "validation_failed"),
        Attack("JSON string", {"json": "login"}, 422, "validation_failed"),
        Attack("JSON number", {"content": b"1e30", "headers": as_json}, 422, "validation_failed"),
        Attack(
            "truncated JSON",
            {"content": valid_bytes[:-3], "headers": as_json},
            400,
            "malformed_json",
        ),
        Attack("not JSON", {"content": b"login_id=x", "headers": as_json}, 400, "malformed_json"),
        Attack("NaN", {"content": b'{"x": NaN}', "headers": as_json}, 400, "malformed_json"),
        Attack(
            "deep nesting",
            {"content": b"[" * 5000 + b"]" * 5000, "headers": as_json},
            400,
            "malformed_json",
        ),
        Attack("untyped body", {"content": valid_bytes}, 415, "unsupported_media_type"),
        Attack(
            "text/plain",
            {"content": valid_bytes, "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        Attack(
            "form",
            {
                "content": urlencode(valid).encode(),
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            415,
            "unsupported_media_type",
        ),
        Attack(
            "extra field", {"json": {**valid, "role": "admin"}}, 422, "validation_failed", "role"
        ),
        Attack(
            "1 MB declared",
            {"content": b" " * ONE_MB, "headers": as_json},
            413,
            "body_too_large",
        ),
        Attack("1 MB chunked", {"content": "chunked", "headers": as_json}, 413, "body_too_large"),
    ]
    for name, kind in endpoint.fields.items():
        missing = {k: v for k, v in valid.items() if k != name}
        attacks.append(Attack(f"{name} missing", {"json": missing}, 422, "validation_failed", name))
        for value in WRONG_TYPES:
            attacks.append(
                Attack(
                    f"{name}={value!r}",
                    {"content": json.dumps({**valid, name: value}).encode(), "headers": as_json},
                    422,
                    "validation_failed",
                    name,
                )
            )
        for value in BAD_VALUES[kind]:
            attacks.append(
                Attack(
                    f"{name}={value[:20]!r}…",
                    {"json": {**valid, name: value}},
                    422,
                    "validation_failed",
                    name,
                )
            )
        for label, literal in [("lone surrogate", '"\\ud800"'), ("invalid UTF-8", '"\xff\xfe"')]:
            attacks.append(
                Attack(
                    f"{name} {label}",
                    {"content": _raw(valid, name, literal), "headers": as_json},
                    400,
                    "malformed_json",
                )
            )
    return attacks


async def _send(
    client: httpx.AsyncClient, endpoint: Endpoint, request: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    request = dict(request)
    if request.get("content") == "chunked":
        request["content"] = _chunks(ONE_MB)
    request["headers"] = {**headers, **request.get("headers", {})}
    return await client.request(endpoint.method, f"{API}{endpoint.path}", **request)


async def _member_count(runtime: Runtime) -> int:
    async with runtime.db.sessions() as session:
        return await service.count_members(session)


@pytest.mark.parametrize("name", list(ENDPOINTS))
async def test_bad_bodies_are_problems_and_change_nothing(
    client: httpx.AsyncClient, runtime: Runtime, name: str
) -> None:
    endpoint = ENDPOINTS[name]
    me = await signup(client, login_id="target", nickname="Target")
    headers = me.headers if endpoint.auth else {}
    mismatches = []
    for attack in body_attacks(endpoint, endpoint.valid(me)):
        response = await _send(client, endpoint, attack.request, headers)
        mismatches.append(_problem_mismatch(response, attack))
    assert [m for m in mismatches if m] == []

    # nothing happened: no member created or deleted, profile, password and session intact
    assert await _member_count(runtime) == 1
    profile = await client.get(f"{API}/me", headers=me.headers)
    assert profile.status_code == 200 and profile.json()["nickname"] == "Target"
    refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": me.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    await login(client, me.login_id, PASSWORD)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", "/auth/signup", {"login_id": "sneaky", "password": PASSWORD}), ("PATCH", "/me", {})],
)
async def test_sql_metacharacters_in_a_nickname_are_stored_verbatim(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, str]
) -> None:
    me = await signup(client)
    nickname = "Robert'); DROP TABLE members;--"
    response = await client.request(
        method, f"{API}{path}", headers=me.headers, json={**body, "nickname": nickname}
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["nickname"] == nickname
    found = await client.get(f"{API}/members", params={"q": "'); DROP"}, headers=me.headers)
    assert [m["nickname"] for m in found.json()["items"]] == [nickname]
    nothing = await client.get(f"{API}/members", params={"q": SQL_INJECTION}, headers=me.headers)
    assert nothing.status_code == 200 and nothing.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "\x00"}, "q"),
        ({"q": "ki\x00m"}, "q"),
        ({"q": "k\nm"}, "q"),
        ({"q": "x" * 33}, "q"),
        ({"q": "x" * 5000}, "q"),
        ({"q": "kim", "limit": "0"}, "limit"),
        ({"q": "kim", "limit": "-1"}, "limit"),
        ({"q": "kim", "limit": "ten"}, "limit"),
        ({"q": "kim", "limit": "1.5"}, "limit"),
        ({"q": "kim", "page": "0"}, "page"),
        ({"q": "kim", "page": str(10**30)}, "page"),
        ({"q": "kim", "page": "[]"}, "page"),
    ],
)
async def test_member_search_refuses_bad_queries(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    me = await signup(client)
    body = assert_problem(
        await client.get(f"{API}/members", params=params, headers=me.headers),
        422,
        "validation_failed",
    )
    assert field in {e["field"] for e in body["errors"]}


async def test_member_search_clamps_a_huge_limit(client: httpx.AsyncClient) -> None:
    me = await signup(client, nickname="Kim")
    response = await client.get(
        f"{API}/members", params={"q": "kim", "limit": str(10**30)}, headers=me.headers
    )
    assert response.status_code == 200 and response.json()["page_size"] == 50


async def test_unknown_routes_and_methods_are_problems(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(f"{API}/nowhere"), 404, "not_found")
    assert_problem(await client.put(f"{API}/me", json={}), 405, "method_not_allowed")
    assert_problem(await client.get(f"{API}/auth/login"), 405, "method_not_allowed")
