"""The authentication schemes are declared in OpenAPI, and every operation that needs a
member says so (`security`), so `/docs` can authorize and clients can tell public routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

PUBLIC = {
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/auth/registration"),
    ("post", "/api/v1/auth/recover"),
    ("get", "/api/v1/notices"),
    ("get", "/api/v1/notices/{notice_id}"),
    #: an incoming webhook: the secret in its URL is the credential (integrations)
    ("post", "/api/v1/hooks/{secret}"),
    #: the VAPID public key: it names the server to push services and grants nothing (notify)
    ("get", "/api/v1/push/vapid-key"),
}


@pytest.fixture
def backend() -> str:
    return "sqlite"


async def test_schemes_are_declared(client: httpx.AsyncClient) -> None:
    schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearer"]["description"],
    }
    assert schemes["session_cookie"]["type"] == "apiKey"
    assert (schemes["session_cookie"]["in"], schemes["session_cookie"]["name"]) == (
        "cookie",
        "parley_access",
    )
    assert (schemes["csrf_token"]["in"], schemes["csrf_token"]["name"]) == (
        "header",
        "X-CSRF-Token",
    )


async def test_every_member_operation_lists_its_security(client: httpx.AsyncClient) -> None:
    paths: dict[str, dict[str, Any]] = (await client.get("/openapi.json")).json()["paths"]
    for path, item in paths.items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            security = operation.get("security")
            if (method, path) in PUBLIC:
                assert security is None, (method, path)
                continue
            assert security, (method, path)
            assert {"bearer": []} in security, (method, path)
            cookie = next(r for r in security if "session_cookie" in r)
            if method in ("get", "head"):
                assert cookie == {"session_cookie": []}, (method, path)
            else:  # the cookie counts only together with the CSRF header
                assert cookie == {"session_cookie": [], "csrf_token": []}, (method, path)
            assert all("csrf_token" not in r or "session_cookie" in r for r in security)
