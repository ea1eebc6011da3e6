"""Across processes: a mute, a slow mode or a role change made through one process binds
sends on another as soon as its event arrives there, not when that process's cached
restrictions expire (`parley/realtime/moderation.py` keeps them for a minute where every
change is heard, for a second on an api process, which hears none)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from tests.scaleout.checks import metric
from tests.scaleout.conftest import StartCluster
from tests.scaleout.services import Daemon
from tests.support.protocol import validate_server_frame
from tests.support.ws import Frame, Member, Server, send_outcome

#: generous bounds for a loaded machine: an event crosses in milliseconds, a stale cache
#: entry would last CACHE_SECONDS (60 s)
PROPAGATION_SECONDS = 15.0


async def test_mute_and_slow_mode_bind_sends_on_another_process_at_once(
    start_cluster: StartCluster, shared_redis: str
) -> None:
    processes = start_cluster("postgres", "redis", roles=["all", "all"], redis_url=shared_redis)
    here, there = (Server(p.base_url) for p in processes)
    try:
        owner = await here.member()
        member = await there.member()
        room = await here.room(owner, member)
        ws = await there.connect(member)
        await ws.subscribe(room)

        # a send caches "not muted" on `there`; the mute goes through `here`
        await ws.send({"type": "send", "room_id": room, "client_msg_id": "a", "body": "a"})
        await ws.expect("ack", client_msg_id="a")
        muted = await here.http.post(
            f"/rooms/{room}/mutes",
            json={"member_id": member.id, "seconds": 60},
            headers=owner.headers,
        )
        assert muted.status_code == 201, muted.text
        frame = await ws.expect("mute", room_id=room)
        validate_server_frame(frame)
        assert frame["member_id"] == member.id and frame["until"] is not None
        await ws.send({"type": "send", "room_id": room, "client_msg_id": "b", "body": "b"})
        assert (await ws.expect("error", ref="b"))["code"] == "muted"

        lifted = await here.http.delete(f"/rooms/{room}/mutes/{member.id}", headers=owner.headers)
        assert lifted.status_code == 204
        assert (await ws.expect("mute", room_id=room))["until"] is None
        await ws.send({"type": "send", "room_id": room, "client_msg_id": "c", "body": "c"})
        await ws.expect("ack", client_msg_id="c")

        slowed = await here.http.patch(
            f"/rooms/{room}", json={"slow_mode_seconds": 60}, headers=owner.headers
        )
        assert slowed.status_code == 200, slowed.text
        update = await ws.expect("room", event="update")
        validate_server_frame(update)
        assert update["room"]["slow_mode_seconds"] == 60
        await ws.send({"type": "send", "room_id": room, "client_msg_id": "d", "body": "d"})
        await ws.expect("ack", client_msg_id="d")
        await ws.send({"type": "send", "room_id": room, "client_msg_id": "e", "body": "e"})
        assert (await ws.expect("error", ref="e"))["code"] == "slow_mode"
        await ws.close()
    finally:
        await here.close()
        await there.close()


async def _post(server: Server, member: Member, room: int, ref: str) -> httpx.Response:
    return await server.http.post(
        f"/rooms/{room}/messages",
        json={"body": ref, "client_msg_id": ref},
        headers=member.headers,
    )


async def _slow_mode(server: Server, owner: Member, room: int) -> None:
    slowed = await server.http.patch(
        f"/rooms/{room}", json={"slow_mode_seconds": 60}, headers=owner.headers
    )
    assert slowed.status_code == 200, slowed.text


async def _set_role(server: Server, owner: Member, room: int, member: Member, role: str) -> None:
    changed = await server.http.patch(
        f"/rooms/{room}/members/{member.id}", json={"role": role}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text


def _role_frame(member: Member, event: str, role: str) -> Callable[[Frame], bool]:
    def matches(frame: Frame) -> bool:
        who = frame.get("member")
        return (
            frame.get("type") == "member"
            and frame.get("event") == event
            and isinstance(who, dict)
            and who.get("id") == member.id
            and who.get("role") == role
        )

    return matches


async def test_role_changes_bind_websocket_sends_on_another_process_at_once(
    start_cluster: StartCluster, shared_redis: str
) -> None:
    processes = start_cluster("postgres", "redis", roles=["all", "all"], redis_url=shared_redis)
    here, there = (Server(p.base_url) for p in processes)
    try:
        owner, member = await here.member(), await there.member()
        room = await here.room(owner, member)
        await _slow_mode(here, owner, room)
        ws = await there.connect(member)
        await ws.subscribe(room)
        # a plain member on `there`: slowed, and "not a moderator" cached there
        assert [await send_outcome(ws, room, ref) for ref in ("a", "b")] == ["ack", "slow_mode"]

        await _set_role(here, owner, room, member, "admin")
        frame = await ws.next_matching(_role_frame(member, "role", "admin"))
        validate_server_frame(frame)
        assert [await send_outcome(ws, room, ref) for ref in ("c", "d")] == ["ack", "ack"]

        await _set_role(here, owner, room, member, "member")
        await ws.next_matching(_role_frame(member, "role", "member"))
        # the gate "a" closed is still closed: slowed again at once
        assert await send_outcome(ws, room, "e") == "slow_mode"

        # the owner hands the room over: the new owner is not slowed from its frame on
        handed = await here.http.post(
            f"/rooms/{room}/owner", json={"member_id": member.id}, headers=owner.headers
        )
        assert handed.status_code == 204, handed.text
        await ws.next_matching(_role_frame(member, "owner", "owner"))
        assert [await send_outcome(ws, room, ref) for ref in ("f", "g")] == ["ack", "ack"]
        await ws.close()
    finally:
        await here.close()
        await there.close()


@pytest.mark.parametrize("bus", ["redis", "kafka"])
async def test_a_promotion_reaches_http_sends_on_a_process_without_the_room_open(
    start_cluster: StartCluster, shared_redis: str, kafka: Daemon, bus: str
) -> None:
    """No socket on `there` has the room open, so it receives none of the room's events but
    those that change send restrictions, which every process gets. (`here` relays the
    outbox: an event relayed by `there` would reach its cache without the bus.)"""
    processes = start_cluster(
        "postgres",
        bus,
        roles=["all", "all"],
        redis_url=shared_redis,
        kafka=kafka,
        first_relays=True,
    )
    here, there = (Server(p.base_url) for p in processes)
    try:
        owner, member = await here.member(), await here.member()
        room = await here.room(owner, member)
        await _slow_mode(here, owner, room)
        assert (await _post(there, member, room, "a")).status_code == 201
        slowed = await _post(there, member, room, "b")
        assert slowed.status_code == 429 and slowed.json()["code"] == "slow_mode", slowed.text

        await _set_role(here, owner, room, member, "admin")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROPAGATION_SECONDS
        n = 0
        while (sent := await _post(there, member, room, f"c{n}")).status_code == 429:
            assert loop.time() < deadline, "the promotion never reached the other process"
            n += 1
            await asyncio.sleep(0.2)
        assert sent.status_code == 201, sent.text
        assert (await _post(there, member, room, "d")).status_code == 201
        assert await metric(processes[1].base_url, "parley_relay_published") == 0
    finally:
        await here.close()
        await there.close()


async def test_an_api_process_which_hears_no_event_keeps_restrictions_a_second(
    start_cluster: StartCluster, shared_redis: str
) -> None:
    """(`full` relays the outbox: an event relayed by the api process would reach its
    cache without the bus.)"""
    full, api = start_cluster(
        "postgres", "redis", roles=["all", "api"], redis_url=shared_redis, first_relays=True
    )
    here, there = Server(full.base_url), Server(api.base_url)
    try:
        owner, member = await here.member(), await here.member()
        room = await here.room(owner, member)
        assert (await _post(there, member, room, "a")).status_code == 201  # "not muted" cached
        muted = await here.http.post(
            f"/rooms/{room}/mutes",
            json={"member_id": member.id, "seconds": 600},
            headers=owner.headers,
        )
        assert muted.status_code == 201, muted.text
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PROPAGATION_SECONDS
        n = 0
        while (sent := await _post(there, member, room, f"b{n}")).status_code == 201:
            assert loop.time() < deadline, "the api process kept a stale answer"
            n += 1
            await asyncio.sleep(0.2)
        assert sent.status_code == 403 and sent.json()["code"] == "muted", sent.text
        assert await metric(api.base_url, "parley_relay_published") == 0
    finally:
        await here.close()
        await there.close()
