"""Across processes: a mute or a slow mode set through one process binds WebSocket sends on
another as soon as its frame arrives there, not when that process's cached restrictions
expire (`parley/realtime/moderation.py` keeps them for a second)."""

from __future__ import annotations

from tests.scaleout.conftest import StartCluster
from tests.support.protocol import validate_server_frame
from tests.support.ws import Server


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
