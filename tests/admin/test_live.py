"""Against a real server: a suspension closes the member's open sockets at once (4001) and
login is refused; mutes and slow mode refuse WebSocket sends with their codes."""

from __future__ import annotations

from tests.admin.conftest import admin_headers
from tests.realtime.test_event_path import closed_with
from tests.support.api import PASSWORD
from tests.support.protocol import validate_server_frame
from tests.support.ws import Server


async def test_suspension_closes_every_socket_and_refuses_login(live: Server) -> None:
    headers = await admin_headers(live)
    member = await live.member()
    second = (
        await live.http.post(
            "/auth/login", json={"login_id": member.login_id, "password": PASSWORD}
        )
    ).json()
    sockets = [
        await live.connect(member),
        await live.connect_raw(
            additional_headers={"Authorization": f"Bearer {second['access_token']}"}
        ),
    ]
    assert (await sockets[1].recv())["type"] == "ready"
    bystander = await live.member()
    watching = await live.connect(bystander)
    done = await live.http.post(
        f"/admin/members/{member.id}/suspend", json={"reason": "abuse"}, headers=headers
    )
    assert done.status_code == 200, done.text
    # at once: closed by the suspension (session_ended says so), not when the access token
    # runs out (900 s); the wait is generous for a loaded machine, not a measure of speed
    assert [await closed_with(ws, 30) for ws in sockets] == [4001, 4001]
    ended = [f for f in sockets[0].frames if f.get("type") == "session_ended"]
    assert ended and ended[0]["reason"] == "suspended"
    refused = await live.http.post(
        "/auth/login", json={"login_id": member.login_id, "password": PASSWORD}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "suspended"
    # a socket cannot be opened with the old token either, and the bystander is untouched
    try:
        again = await live.connect_raw(member)
        first = await again.recv()
        assert first["type"] != "ready"
    except Exception as exc:  # refused at the handshake
        assert "4001" in str(exc) or "403" in str(exc) or "401" in str(exc), exc
    await watching.send({"type": "ping", "id": "still"})
    assert (await watching.expect("pong", id="still"))["id"] == "still"
    await watching.close()


async def test_mute_and_slow_mode_refuse_websocket_sends(live: Server) -> None:
    owner, member = await live.member(), await live.member()
    room = await live.room(owner, member)
    ws = await live.connect(member)
    await ws.subscribe(room)
    muted = await live.http.post(
        f"/rooms/{room}/mutes", json={"member_id": member.id, "seconds": 60}, headers=owner.headers
    )
    assert muted.status_code == 201, muted.text
    told = await ws.expect("mute", room_id=room)
    validate_server_frame(told)
    assert told["member_id"] == member.id and told["until"].endswith("Z")
    await ws.send({"type": "send", "room_id": room, "client_msg_id": "m1", "body": "hi"})
    refused = await ws.expect("error", ref="m1")
    assert refused["code"] == "muted"
    unmuted = await live.http.delete(f"/rooms/{room}/mutes/{member.id}", headers=owner.headers)
    assert unmuted.status_code == 204
    assert (await ws.expect("mute", room_id=room))["until"] is None
    await ws.send({"type": "send", "room_id": room, "client_msg_id": "m2", "body": "hi"})
    await ws.expect("ack", client_msg_id="m2")
    slowed = await live.http.patch(
        f"/rooms/{room}", json={"slow_mode_seconds": 30}, headers=owner.headers
    )
    assert slowed.status_code == 200 and slowed.json()["slow_mode_seconds"] == 30
    await ws.send({"type": "send", "room_id": room, "client_msg_id": "m3", "body": "one"})
    await ws.expect("ack", client_msg_id="m3")
    await ws.send({"type": "send", "room_id": room, "client_msg_id": "m4", "body": "two"})
    assert (await ws.expect("error", ref="m4"))["code"] == "slow_mode"
    # the owner is not slowed down
    owner_ws = await live.connect(owner)
    for n in range(3):
        await owner_ws.send(
            {"type": "send", "room_id": room, "client_msg_id": f"o{n}", "body": f"o{n}"}
        )
        await owner_ws.expect("ack", client_msg_id=f"o{n}")
    await ws.close()
    await owner_ws.close()
