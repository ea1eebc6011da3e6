"""Small helpers for black-box HTTP tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass
class Account:
    id: int
    login_id: str
    nickname: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def signup(
    client: httpx.AsyncClient,
    login_id: str | None = None,
    nickname: str | None = None,
    password: str = PASSWORD,
) -> Account:
    """Sign up and log in a fresh member."""
    login_id = login_id or f"user{next(_counter)}"
    nickname = nickname or login_id.capitalize()
    response = await client.post(
        "/api/v1/auth/signup",
        json={"login_id": login_id, "nickname": nickname, "password": password},
    )
    assert response.status_code == 201, response.text
    return await login(client, login_id, password)


async def login(client: httpx.AsyncClient, login_id: str, password: str = PASSWORD) -> Account:
    response = await client.post(
        "/api/v1/auth/login", json={"login_id": login_id, "password": password}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return Account(
        id=body["member"]["id"],
        login_id=login_id,
        nickname=body["member"]["nickname"],
        password=password,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem with the given status (and code)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body
