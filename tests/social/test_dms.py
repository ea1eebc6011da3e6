"""Direct-message rooms over HTTP, on every database: once per pair, closed, private."""

from __future__ import annotations

import asyncio

import httpx

from parley.core.runtime import Runtime
from tests.rooms.support import invite, join, site_admin
from tests.social.support import API, block, open_dm
from tests.support.api import assert_problem, signup


async def test_a_pair_has_one_direct_room_even_under_concurrency(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = await signup(client), await signup(client)
    answers = await asyncio.gather(
        open_dm(client, alice, bob),
        open_dm(client, bob, alice),
        open_dm(client, alice, bob),
        open_dm(client, bob, alice),
    )
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    room = answers[0].json()
    assert room["kind"] == "direct" and room["is_private"] is True and room["member_count"] == 2
    mine = (await client.get(f"{API}/me/rooms", headers=alice.headers)).json()
    assert [(r["id"], r["kind"]) for r in mine] == [(room["id"], "direct")]
    dms = (await client.get(f"{API}/me/dms", headers=bob.headers)).json()
    assert [(d["room"]["id"], d["peer"]["id"]) for d in dms] == [(room["id"], alice.id)]
    assert_problem(await open_dm(client, alice, alice), 422, "invalid_target")
    assert_problem(
        await client.post(f"{API}/dms", json={"member_id": 10**15}, headers=alice.headers),
        404,
        "member_not_found",
    )


async def test_direct_rooms_are_closed_to_everyone_else(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, bob, carol = await signup(client), await signup(client), await signup(client)
    admin = await site_admin(client, runtime, "siteadmin")
    room_id = (await open_dm(client, alice, bob)).json()["id"]
    sent = await client.post(
        f"{API}/rooms/{room_id}/messages",
        json={"body": "just us", "client_msg_id": "dm1"},
        headers=alice.headers,
    )
    assert sent.status_code == 201
    bob_sees = (await client.get(f"{API}/rooms/{room_id}/messages", headers=bob.headers)).json()
    assert [m["body"] for m in bob_sees["items"]] == ["just us"]
    for outsider in (carol, admin):
        for response in (
            await client.get(f"{API}/rooms/{room_id}", headers=outsider.headers),
            await client.get(f"{API}/rooms/{room_id}/messages", headers=outsider.headers),
            await client.get(f"{API}/rooms/{room_id}/members", headers=outsider.headers),
            await join(client, outsider, room_id),
            await invite(client, outsider, room_id, outsider.id),
        ):
            assert_problem(response, 404, "room_not_found")
        browse = await client.get(f"{API}/rooms", params={"q": "dm"}, headers=outsider.headers)
        assert browse.json()["items"] == []
    assert_problem(await client.get(f"{API}/rooms/{room_id}/messages"), 401)
    # the pair cannot widen, moderate or rename it
    assert_problem(await invite(client, alice, room_id, carol.id), 403, "direct_room")
    assert_problem(await join(client, bob, room_id), 409, "already_member")
    renamed = await client.patch(
        f"{API}/rooms/{room_id}", json={"name": "ours"}, headers=alice.headers
    )
    assert_problem(renamed, 403, "direct_room")
    kicked = await client.delete(f"{API}/rooms/{room_id}/members/{bob.id}", headers=alice.headers)
    assert_problem(kicked, 403, "direct_room")


async def test_a_block_silences_an_existing_direct_room(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    room_id = (await open_dm(client, alice, bob)).json()["id"]
    assert (await block(client, bob, alice)).status_code == 201
    for sender in (alice, bob):
        response = await client.post(
            f"{API}/rooms/{room_id}/messages",
            json={"body": "hello?", "client_msg_id": f"b{sender.id}"},
            headers=sender.headers,
        )
        assert_problem(response, 403, "blocked")
    assert (
        await client.delete(f"{API}/me/blocks/{alice.id}", headers=bob.headers)
    ).status_code == 204
    after = await client.post(
        f"{API}/rooms/{room_id}/messages",
        json={"body": "hello again", "client_msg_id": "after"},
        headers=alice.headers,
    )
    assert after.status_code == 201


async def test_leaving_and_reopening_seats_the_member_again(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    room_id = (await open_dm(client, alice, bob)).json()["id"]
    assert (
        await client.post(f"{API}/rooms/{room_id}/leave", headers=bob.headers)
    ).status_code == 204
    assert (await client.get(f"{API}/me/dms", headers=bob.headers)).json() == []
    reopened = await open_dm(client, alice, bob)
    assert reopened.json()["id"] == room_id and reopened.json()["member_count"] == 2
    assert [
        d["room"]["id"] for d in (await client.get(f"{API}/me/dms", headers=bob.headers)).json()
    ] == [room_id]


async def test_a_room_named_like_a_direct_room_neither_breaks_nor_reveals_it(
    client: httpx.AsyncClient,
) -> None:
    """Direct rooms take no name in the room-name namespace: a squatter cannot break a pair's
    DM, and creating a room by a guessed name tells nothing about who talks to whom."""
    mallory, alice, bob = await signup(client), await signup(client), await signup(client)
    low, high = sorted((alice.id, bob.id))
    for name in (f"dm:{low}:{high}", "direct message"):
        squat = await client.post(
            f"{API}/rooms", json={"name": name, "is_private": True}, headers=mallory.headers
        )
        assert squat.status_code == 201, squat.text
    opened = await open_dm(client, alice, bob)
    assert opened.status_code == 200, opened.text
    assert opened.json()["kind"] == "direct"
    # the DM exists now; a probe by any name still succeeds and learns nothing
    probe = await client.post(
        f"{API}/rooms",
        json={"name": f"dm:{high}:{low}", "is_private": True},
        headers=mallory.headers,
    )
    assert probe.status_code == 201, probe.text
    again = await open_dm(client, bob, alice)
    assert again.json()["id"] == opened.json()["id"]
