"""Friends and blocks over HTTP, on every database: requests, accepts, blocks and their reach."""

from __future__ import annotations

import asyncio

import httpx

from tests.rooms.support import create_room, invite, join
from tests.social.support import API, befriend, block, friends, open_dm
from tests.support.api import assert_problem, signup


async def test_request_accept_decline_remove(client: httpx.AsyncClient) -> None:
    alice, bob, carol = await signup(client), await signup(client), await signup(client)
    asked = await client.post(
        f"{API}/me/friends", json={"member_id": bob.id}, headers=alice.headers
    )
    assert asked.status_code == 201
    assert asked.json() == {"member": {"id": bob.id, "nickname": bob.nickname}, "status": "pending"}
    assert await friends(client, alice) == {"friends": [], "incoming": [], "outgoing": [bob.id]}
    assert await friends(client, bob) == {"friends": [], "incoming": [alice.id], "outgoing": []}
    assert_problem(
        await client.post(f"{API}/me/friends", json={"member_id": bob.id}, headers=alice.headers),
        409,
        "already_requested",
    )
    # only the addressee accepts
    assert_problem(
        await client.post(f"{API}/me/friends/{bob.id}/accept", headers=alice.headers),
        404,
        "friend_request_not_found",
    )
    accepted = await client.post(f"{API}/me/friends/{alice.id}/accept", headers=bob.headers)
    assert accepted.status_code == 204
    listed = (await client.get(f"{API}/me/friends", headers=alice.headers)).json()
    assert [(f["member"]["id"], f["online"]) for f in listed["friends"]] == [(bob.id, False)]
    assert_problem(
        await client.post(f"{API}/me/friends", json={"member_id": alice.id}, headers=bob.headers),
        409,
        "already_friends",
    )
    # decline
    await client.post(f"{API}/me/friends", json={"member_id": alice.id}, headers=carol.headers)
    declined = await client.post(f"{API}/me/friends/{carol.id}/decline", headers=alice.headers)
    assert declined.status_code == 204
    assert await friends(client, carol) == {"friends": [], "incoming": [], "outgoing": []}
    # remove
    assert (
        await client.delete(f"{API}/me/friends/{bob.id}", headers=alice.headers)
    ).status_code == 204
    assert await friends(client, bob) == {"friends": [], "incoming": [], "outgoing": []}
    assert_problem(
        await client.delete(f"{API}/me/friends/{bob.id}", headers=alice.headers),
        404,
        "friend_not_found",
    )


async def test_a_mutual_request_becomes_a_friendship(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    await client.post(f"{API}/me/friends", json={"member_id": bob.id}, headers=alice.headers)
    back = await client.post(f"{API}/me/friends", json={"member_id": alice.id}, headers=bob.headers)
    assert back.status_code == 201 and back.json()["status"] == "accepted"
    assert (await friends(client, alice))["friends"] == [bob.id]
    assert (await friends(client, bob))["friends"] == [alice.id]


async def test_simultaneous_mutual_requests_make_one_friendship(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    answers = await asyncio.gather(
        client.post(f"{API}/me/friends", json={"member_id": bob.id}, headers=alice.headers),
        client.post(f"{API}/me/friends", json={"member_id": alice.id}, headers=bob.headers),
    )
    assert sorted(a.json()["status"] for a in answers) == ["accepted", "pending"]
    assert (await friends(client, alice))["friends"] == [bob.id]


async def test_bad_targets(client: httpx.AsyncClient) -> None:
    alice = await signup(client)
    for body, status, code in (
        ({"member_id": alice.id}, 422, "invalid_target"),
        ({"member_id": 10**15}, 404, "member_not_found"),
        ({"member_id": 2**63}, 422, "validation_failed"),
        ({"member_id": "x"}, 422, "validation_failed"),
    ):
        response = await client.post(f"{API}/me/friends", json=body, headers=alice.headers)
        assert_problem(response, status, code)
    assert_problem(await client.post(f"{API}/me/blocks/{alice.id}", headers=alice.headers), 422)
    assert_problem(await client.get(f"{API}/me/friends"), 401, "unauthenticated")


async def test_a_block_ends_friendship_and_every_private_channel(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    await befriend(client, alice, bob)
    blocked = await block(client, alice, bob)
    assert blocked.status_code == 201 and blocked.json()["member"]["id"] == bob.id
    assert_problem(await block(client, alice, bob), 409, "already_blocked")
    assert await friends(client, alice) == {"friends": [], "incoming": [], "outgoing": []}
    listed = (await client.get(f"{API}/me/blocks", headers=alice.headers)).json()
    assert [b["member"]["id"] for b in listed] == [bob.id]
    assert (await client.get(f"{API}/me/blocks", headers=bob.headers)).json() == []
    # friend requests, either way
    for me, other in ((bob, alice), (alice, bob)):
        response = await client.post(
            f"{API}/me/friends", json={"member_id": other.id}, headers=me.headers
        )
        assert_problem(response, 403, "blocked")
    # direct messages, either way
    assert_problem(await open_dm(client, bob, alice), 403, "blocked")
    assert_problem(await open_dm(client, alice, bob), 403, "blocked")
    # invites from the blocked member
    room = await create_room(client, bob, is_private=True)
    assert_problem(await invite(client, bob, room["id"], alice.id), 403, "blocked")
    # whispers, in a room both are in
    shared = await create_room(client, alice)
    assert (await join(client, bob, shared["id"])).status_code == 200
    for sender, target in ((bob, alice), (alice, bob)):
        whisper = await client.post(
            f"{API}/rooms/{shared['id']}/messages",
            json={"body": "psst", "client_msg_id": f"w{sender.id}", "to": target.id},
            headers=sender.headers,
        )
        assert_problem(whisper, 403, "blocked")
    said = await client.post(
        f"{API}/rooms/{shared['id']}/messages",
        json={"body": "hello all", "client_msg_id": "open"},
        headers=bob.headers,
    )
    assert said.status_code == 201  # the room itself is not closed to him
    # the blocker may still invite whom they blocked; unblocking opens the channels again
    assert (
        await client.delete(f"{API}/me/blocks/{bob.id}", headers=alice.headers)
    ).status_code == 204
    assert_problem(
        await client.delete(f"{API}/me/blocks/{bob.id}", headers=alice.headers),
        404,
        "block_not_found",
    )
    assert (await invite(client, bob, room["id"], alice.id)).status_code == 201
    assert (await open_dm(client, bob, alice)).status_code == 200
    again = await client.post(
        f"{API}/me/friends", json={"member_id": alice.id}, headers=bob.headers
    )
    assert again.status_code == 201
