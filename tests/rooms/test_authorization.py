"""Who may do what: every room endpoint against every kind of caller, as one table.

Personas: anonymous, outsider (logged in, never in the room), member, room admin, owner,
banned (was a member, now banned) and a site admin who is not in the room.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from parley.core.database import utcnow
from parley.core.runtime import Runtime
from parley.rooms.models import Room, RoomBan, RoomMember
from tests.rooms.support import API, site_admin
from tests.support.api import Account, signup

_rooms = itertools.count(1)
PERSONAS = ("anonymous", "outsider", "member", "admin", "owner", "banned", "site_admin")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    body: dict[str, Any] | None
    private: tuple[int, ...]
    public: tuple[int, ...]


#                                                      anon outs memb admn ownr bann site
TABLE = (
    Row("GET", "/rooms/{room}", None,
        (401, 404, 200, 200, 200, 404, 200), (401, 200, 200, 200, 200, 200, 200)),
    Row("PATCH", "/rooms/{room}", {"topic": "new topic"},
        (401, 404, 403, 200, 200, 404, 403), (401, 403, 403, 200, 200, 403, 403)),
    Row("DELETE", "/rooms/{room}", None,
        (401, 404, 403, 403, 204, 404, 204), (401, 403, 403, 403, 204, 403, 204)),
    Row("POST", "/rooms/{room}/join", None,
        (401, 404, 409, 409, 409, 403, 403), (401, 200, 409, 409, 409, 403, 200)),
    Row("POST", "/rooms/{room}/leave", None,
        (401, 404, 204, 204, 204, 404, 403), (401, 403, 204, 204, 204, 403, 403)),
    Row("GET", "/rooms/{room}/members", None,
        (401, 404, 200, 200, 200, 404, 200), (401, 200, 200, 200, 200, 200, 200)),
    Row("POST", "/rooms/{room}/invites", {"member_id": "{fresh}"},
        (401, 404, 403, 201, 201, 404, 403), (401, 403, 201, 201, 201, 403, 403)),
    Row("DELETE", "/rooms/{room}/members/{target}", None,
        (401, 404, 403, 204, 204, 404, 403), (401, 403, 403, 204, 204, 403, 403)),
    Row("PATCH", "/rooms/{room}/members/{target}", {"role": "admin"},
        (401, 404, 403, 403, 200, 404, 403), (401, 403, 403, 403, 200, 403, 403)),
    Row("POST", "/rooms/{room}/bans", {"member_id": "{target}"},
        (401, 404, 403, 201, 201, 404, 403), (401, 403, 403, 201, 201, 403, 403)),
    Row("GET", "/rooms/{room}/bans", None,
        (401, 404, 403, 200, 200, 404, 403), (401, 403, 403, 200, 200, 403, 403)),
    Row("DELETE", "/rooms/{room}/bans/{banned}", None,
        (401, 404, 403, 204, 204, 404, 403), (401, 403, 403, 204, 204, 403, 403)),
    Row("GET", "/rooms", None,
        (401, 200, 200, 200, 200, 200, 200), (401, 200, 200, 200, 200, 200, 200)),
    Row("GET", "/me/rooms", None,
        (401, 200, 200, 200, 200, 200, 200), (401, 200, 200, 200, 200, 200, 200)),
)  # fmt: skip


class World:
    """The cast, and a room arranged around them (rebuilt after any successful change)."""

    def __init__(self, runtime: Runtime, accounts: dict[str, Account]) -> None:
        self.runtime = runtime
        self.accounts = accounts
        self.room: dict[str, Any] | None = None

    async def arrange(self, private: bool) -> dict[str, Any]:
        """The room, built straight in the database (fast: the table needs dozens)."""
        if self.room is None:
            a = self.accounts
            roles = {"owner": "owner", "admin": "admin", "member": "member", "target": "member"}
            name = f"matrix {next(_rooms)}"
            async with self.runtime.db.transaction() as session:
                room = Room(
                    name=name,
                    name_key=name,
                    is_private=private,
                    member_count=len(roles),
                    created_at=utcnow(),
                )
                session.add(room)
                await session.flush()
                for name, role in roles.items():
                    session.add(RoomMember(room_id=room.id, member_id=a[name].id, role=role))
                session.add(RoomBan(room_id=room.id, member_id=a["banned"].id))
            self.room = {"id": room.id}
        return self.room

    def fill(self, value: Any, room_id: int) -> Any:
        ids = {
            "{room}": room_id,
            "{fresh}": self.accounts["fresh"].id,
            "{target}": self.accounts["target"].id,
            "{banned}": self.accounts["banned"].id,
        }
        if isinstance(value, dict):
            return {k: self.fill(v, room_id) for k, v in value.items()}
        if isinstance(value, str):
            if value in ids:
                return ids[value]
            for key, number in ids.items():
                value = value.replace(key, str(number))
        return value


@pytest.mark.parametrize("private", [True, False], ids=["private", "public"])
async def test_authorization_matrix(
    client: httpx.AsyncClient, runtime: Runtime, private: bool
) -> None:
    names = ("owner", "admin", "member", "target", "banned", "outsider", "fresh")
    accounts = {name: await signup(client) for name in names}
    accounts["site_admin"] = await site_admin(client, runtime, "siteadmin")
    world = World(runtime, accounts)
    mismatches = []
    for row in TABLE:
        expected_row = row.private if private else row.public
        for persona, expected in zip(PERSONAS, expected_row, strict=True):
            room = await world.arrange(private)
            headers = {} if persona == "anonymous" else accounts[persona].headers
            response = await client.request(
                row.method,
                API + world.fill(row.path, room["id"]),
                json=world.fill(row.body, room["id"]),
                headers=headers,
            )
            code = response.json().get("code") if response.status_code >= 400 else None
            if response.status_code != expected or (expected == 404 and code != "room_not_found"):
                mismatches.append((row.method, row.path, persona, expected, response.text))
            if row.method != "GET" and response.status_code < 300:
                world.room = None  # changed: the next caller gets a fresh room
    assert mismatches == []
