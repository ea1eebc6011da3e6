"""Site admins delete any message of a group room, member or not (a tombstone saying
"moderator"); a direct room stays the pair's business."""

from __future__ import annotations

import httpx

from parley.core.runtime import Runtime
from tests.admin.support import make_admin
from tests.rooms.support import create_room, join
from tests.support.api import signup

API = "/api/v1"


async def test_a_site_admin_deletes_in_group_rooms(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_admin(client, runtime)
    alice, bob = await signup(client), await signup(client)
    room = (await create_room(client, alice, is_private=True))["id"]
    invited = await client.post(
        f"{API}/rooms/{room}/invites", json={"member_id": bob.id}, headers=alice.headers
    )
    assert invited.status_code in (200, 201), invited.text
    assert (await join(client, bob, room)).status_code == 200
    sent = await client.post(
        f"{API}/rooms/{room}/messages",
        json={"body": "spam", "client_msg_id": "s1"},
        headers=bob.headers,
    )
    message_id = sent.json()["id"]
    path = f"{API}/rooms/{room}/messages/{message_id}"
    # not a member: may delete, not edit or react
    edit = await client.patch(path, json={"body": "x"}, headers=admin.headers)
    assert edit.status_code == 404 and edit.json()["code"] == "room_not_found"
    assert (await client.delete(path, headers=admin.headers)).status_code == 204
    page = await client.get(f"{API}/rooms/{room}/messages", headers=alice.headers)
    tomb = next(m for m in page.json()["items"] if m["id"] == message_id)
    assert (tomb["deleted"], tomb["deleted_by"], tomb["body"]) == (True, "moderator", "")
    dm = await client.post(f"{API}/dms", json={"member_id": bob.id}, headers=alice.headers)
    assert dm.status_code in (200, 201), dm.text
    dm_room = dm.json()["id"]
    private = await client.post(
        f"{API}/rooms/{dm_room}/messages",
        json={"body": "between us", "client_msg_id": "d1"},
        headers=alice.headers,
    )
    gone = await client.delete(
        f"{API}/rooms/{dm_room}/messages/{private.json()['id']}", headers=admin.headers
    )
    assert gone.status_code == 404
