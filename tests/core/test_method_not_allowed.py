"""A 405 names every method of its path in `Allow`, also when several routes serve the path
(Starlette alone names only the first route's)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import assert_problem


@pytest.fixture
def backend() -> str:
    return "sqlite"


def _allow(response: httpx.Response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


async def test_allow_lists_every_method_of_an_api_path(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/me", json={})
    assert_problem(response, 405, "method_not_allowed")
    assert _allow(response) == {"GET", "PATCH", "DELETE"}
    response = await client.put("/api/v1/rooms/1", json={})
    assert_problem(response, 405, "method_not_allowed")
    assert _allow(response) == {"GET", "PATCH", "DELETE"}
    response = await client.get("/api/v1/auth/login")  # one route: as before
    assert_problem(response, 405)
    assert _allow(response) == {"POST"}


async def test_allow_on_a_page_path(client: httpx.AsyncClient) -> None:
    response = await client.delete("/login")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert {"GET", "POST"} <= _allow(response)
