"""Bench fixtures over the HTTP API: members `bench_<i>`, rooms `bench-room-<j>`, memberships.

Plain `http.client` in a thread pool: setup is bound by the server's password hashing, not by
the client, and it keeps the bench free of an HTTP client dependency. Everything is reused
when it already exists, so a second run against the same server only logs in again.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105 - throwaway bench accounts
MAX_CAPACITY = 10_000  # the rooms API's limit
SETUP_THREADS = 8  # more concurrent joins of one room exhaust the SQLite pool (a 500)


class SetupError(RuntimeError):
    """The server refused the bench's setup; the message says which setting to change."""


@dataclass(frozen=True)
class BenchMember:
    index: int
    member_id: int
    token: str


class Api:
    """A small JSON client; one keep-alive connection per thread, bound to a source address."""

    def __init__(self, url: str, source_addresses: Sequence[str] = ()) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SetupError(f"--url must be http(s)://host:port, not {url!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.source_addresses = list(source_addresses)
        self._local = threading.local()
        self._next_source = 0
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            source = None
            if self.source_addresses:
                with self._lock:
                    address = self.source_addresses[self._next_source % len(self.source_addresses)]
                    self._next_source += 1
                source = (address, 0)
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=60, source_address=source)
            self._local.conn = conn
        return conn

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):  # a keep-alive connection the server closed is retried once
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
                continue
            return response.status, json.loads(data) if data else None
        raise AssertionError("unreachable")


def _problem(status: int, body: Any) -> str:
    code = body.get("code") if isinstance(body, dict) else None
    return f"HTTP {status} {code or ''} {body!r}"[:300]


def ensure_member(api: Api, index: int) -> BenchMember:
    """Sign up `bench_<index>` unless it exists, then log in."""
    login_id = f"bench_{index}"
    status, body = api.call(
        "POST",
        "/api/v1/auth/signup",
        {"login_id": login_id, "nickname": f"Bench {index}", "password": BENCH_PASSWORD},
    )
    if status not in (201, 409):
        raise SetupError(f"signup of {login_id} failed: {_problem(status, body)}")
    status, body = api.call(
        "POST", "/api/v1/auth/login", {"login_id": login_id, "password": BENCH_PASSWORD}
    )
    if status == 429:
        raise SetupError(
            "login throttled: start the server with PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS raised "
            "(e.g. 1000000) or spread the bench over --source-addresses"
        )
    if status != 200:
        raise SetupError(f"login of {login_id} failed: {_problem(status, body)}")
    return BenchMember(index, int(body["member"]["id"]), str(body["access_token"]))


def ensure_room(api: Api, owner: BenchMember, index: int, capacity: int) -> int:
    """The id of public room `bench-room-<index>`, created by `owner` if missing."""
    name = f"bench-room-{index}"
    status, body = api.call(
        "POST",
        "/api/v1/rooms",
        {"name": name, "is_private": False, "capacity": capacity},
        owner.token,
    )
    if status == 201:
        return int(body["id"])
    if status != 409:
        raise SetupError(f"creating room {name} failed: {_problem(status, body)}")
    status, body = api.call("GET", f"/api/v1/rooms?q={quote(name)}", token=owner.token)
    if status != 200:
        raise SetupError(f"searching room {name} failed: {_problem(status, body)}")
    items = body.get("items", body) if isinstance(body, dict) else body
    for room in items:
        if room.get("name") == name:
            # members of earlier runs stay: make room for this run's on top of them
            wanted = min(MAX_CAPACITY, int(room.get("member_count", 0)) + capacity)
            if int(room.get("capacity", wanted)) < wanted:
                path = f"/api/v1/rooms/{room['id']}"
                status, body = api.call("PATCH", path, {"capacity": wanted}, owner.token)
                if status != 200:
                    raise SetupError(f"cannot enlarge room {name}: {_problem(status, body)}")
            return int(room["id"])
    raise SetupError(f"room {name} exists but the search does not show it: {body!r}"[:300])


def join_room(api: Api, member: BenchMember, room_id: int) -> None:
    status, body = api.call("POST", f"/api/v1/rooms/{room_id}/join", {}, member.token)
    code = body.get("code") if isinstance(body, dict) else None
    if status in (200, 201) or (status == 409 and code == "already_member"):
        return
    raise SetupError(f"bench_{member.index} cannot join room {room_id}: {_problem(status, body)}")


def _parallel(function: Callable[[int], Any], count: int) -> list[Any]:
    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        return list(pool.map(function, range(count)))


def prepare(
    api: Api, members: int, rooms: int, room_of: Callable[[int], int], capacity: int
) -> tuple[list[BenchMember], list[int]]:
    """Members 0..members-1, rooms 0..rooms-1, each member joined to `room_of(member)`."""
    accounts: list[BenchMember] = _parallel(lambda i: ensure_member(api, i), members)
    room_ids: list[int] = _parallel(
        lambda j: ensure_room(api, accounts[j % members], j, capacity), rooms
    )
    _parallel(lambda i: join_room(api, accounts[i], room_ids[room_of(i)]), members)
    return accounts, room_ids
