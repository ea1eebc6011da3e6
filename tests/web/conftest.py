"""In-process page tests: the app on SQLite, driven like a browser (cookies, forms)."""

from __future__ import annotations

import itertools
import re

import httpx
import pytest

PASSWORD = "page tests passphrase"
_ids = itertools.count(1)


@pytest.fixture
def backend() -> str:
    """Pages add no SQL of their own (they call the services): SQLite is enough."""
    return "sqlite"


def csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("parley_csrf")
    assert token, "no CSRF cookie yet: GET a page first"
    return token


async def page_signup(
    client: httpx.AsyncClient, nickname: str | None = None, login_id: str | None = None
) -> str:
    """Sign up through the form (which also logs in); returns the login id."""
    login_id = login_id or f"web{next(_ids)}"
    await client.get("/signup")
    response = await client.post(
        "/signup",
        data={
            "csrf_token": csrf(client),
            "login_id": login_id,
            "nickname": nickname or login_id.title(),
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 303, response.text
    return login_id


async def create_room(client: httpx.AsyncClient, name: str, **extra: str) -> int:
    await client.get("/rooms/new")
    response = await client.post(
        "/rooms/new", data={"csrf_token": csrf(client), "name": name, **extra}
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/rooms/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))
