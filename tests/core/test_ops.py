"""Operational endpoints: OpenAPI, the offline Swagger UI, liveness and readiness."""

from __future__ import annotations

import re

import httpx
import pytest

from parley.app import create_app
from parley.core.runtime import Runtime
from tests.support.server import free_port
from tests.support.services import test_settings as make_settings

ACCOUNTS_ROUTES = {
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"),
    ("delete", "/api/v1/me"),
    ("post", "/api/v1/me/password"),
    ("get", "/api/v1/members"),
}


@pytest.fixture
def backend() -> str:
    """These endpoints do not depend on the database kind: SQLite is enough."""
    return "sqlite"


async def test_openapi_lists_the_accounts_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    listed = {(method, path) for path, item in paths.items() for method in item}
    assert listed >= ACCOUNTS_ROUTES, ACCOUNTS_ROUTES - listed


async def test_the_docs_page_works_offline(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert not re.search(r"https?://", page.text), "the docs page must not load remote assets"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) >= 3, assets  # the stylesheet, the bundles, the start script
    for asset in assets:
        assert asset.startswith("/"), asset
        response = await client.get(asset)
        assert response.status_code == 200 and response.content, asset
    init = await client.get("/static/swagger-init.js")
    assert "/openapi.json" in init.text and not re.search(r"https?://", init.text)


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["checks"]["database"] == "ok"


async def test_readiness_fails_while_the_database_is_unreachable() -> None:
    """Nothing listens on the port: the process is alive but must not get traffic."""
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/parley"
    settings = make_settings(url)
    runtime = Runtime.build(settings)  # the engine connects lazily, so this succeeds
    app = create_app(settings, runtime)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                ready = await http.get("/readyz")
                assert ready.status_code == 503
                answer = ready.json()
                assert answer["status"] == "unavailable"
                assert answer["checks"]["database"] == "unavailable"
                assert (await http.get("/healthz")).status_code == 200
    finally:
        await runtime.close()
