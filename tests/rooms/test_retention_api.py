"""`PUT /rooms/{id}/retention`: the owner or a site admin sets how long a room keeps its
messages; everyone else is refused; each change is audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from parley.admin.models import AuditEntry
from parley.core.runtime import Runtime
from tests.rooms.support import API, add_member, create_room, site_admin
from tests.support.api import assert_problem, signup


async def _audited(runtime: Runtime, room_id: int) -> list[AuditEntry]:
    async with runtime.db.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.room_id == room_id, AuditEntry.action == "room.retention")
            .order_by(AuditEntry.id)
        )
        return list(rows)


async def test_owner_and_site_admin_set_retention_others_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, moderator, member, outsider = [await signup(client) for _ in range(4)]
    room = (await create_room(client, owner))["id"]
    await add_member(client, owner, room, moderator, role="admin")
    await add_member(client, owner, room, member)
    url = f"{API}/rooms/{room}/retention"

    assert (await client.get(f"{API}/rooms/{room}", headers=member.headers)).json()[
        "retention_days"
    ] is None
    kept = await client.put(url, json={"days": 30}, headers=owner.headers)
    assert kept.status_code == 200, kept.text
    assert kept.json()["retention_days"] == 30
    seen = await client.get(f"{API}/rooms/{room}", headers=member.headers)
    assert seen.json()["retention_days"] == 30  # members can see how long history stays

    assert_problem(await client.put(url, json={"days": 1}, headers=moderator.headers), 403)
    assert_problem(await client.put(url, json={"days": 1}, headers=member.headers), 403)
    assert_problem(
        await client.put(url, json={"days": 1}, headers=outsider.headers), 403, "not_a_member"
    )
    bad_bodies: list[object] = [
        {"days": -1},
        {"days": 36_501},
        {"days": 1.5},
        {"days": "soon"},
        {"days": 30, "x": 1},
        {"days": 10**30},
        {},
        [],
    ]
    for bad in bad_bodies:
        assert_problem(await client.put(url, json=bad, headers=owner.headers), 422)

    admin = await site_admin(client, runtime, "retentionadmin")
    forever = await client.put(url, json={"days": 0}, headers=admin.headers)
    assert forever.status_code == 200 and forever.json()["retention_days"] == 0
    default = await client.put(url, json={"days": None}, headers=owner.headers)
    assert default.status_code == 200 and default.json()["retention_days"] is None
    again = await client.put(url, json={"days": None}, headers=owner.headers)
    assert again.status_code == 200  # no change: nothing more to audit

    entries = await _audited(runtime, room)
    assert [(e.actor_id, e.target_type) for e in entries] == [
        (owner.id, "room"),
        (admin.id, "room"),
        (owner.id, "room"),
    ]
    assert '"days":30' in entries[0].details and '"before":30' in entries[1].details


async def test_retention_of_an_unknown_room_is_not_found(client: httpx.AsyncClient) -> None:
    stranger = await signup(client)
    assert_problem(
        await client.put(
            f"{API}/rooms/999999/retention", json={"days": 3}, headers=stranger.headers
        ),
        404,
    )
