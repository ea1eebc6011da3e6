"""Web Push end to end: a real parley process pushes to a local push service that checks the
VAPID JWT and decrypts each payload with the subscription's keys (tests/support)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.notify.conftest import PUSH_ENV, dm, send, set_level, subscribe, wait_for
from tests.support.api import PASSWORD
from tests.support.push_service import PushService
from tests.support.server import running_server
from tests.support.ws import Server


async def test_a_dm_to_an_offline_member_is_pushed_and_decrypts(
    server: Server, push_service: PushService
) -> None:
    a, b = await server.member("Alice"), await server.member("Bob")
    sub = await subscribe(server, b, push_service)
    room = await dm(server, a, b)
    await send(server, a, room, "lunch at **noon**?")
    [payload] = await wait_for(lambda: push_service.delivered(sub))
    assert payload["type"] == "message" and payload["room_id"] == room
    assert payload["sender"] == {"id": a.id, "nickname": "Alice"}
    assert payload["title"] == "Alice" and payload["direct"] is True
    assert payload["body"] == "lunch at noon?"
    assert payload["url"] == f"/rooms/{room}"
    assert push_service.failures == []
    # one's own message never pushes to oneself
    own = await subscribe(server, a, push_service)
    await send(server, b, room, "sure")
    await wait_for(lambda: len(push_service.delivered(own)) == 1)
    assert len(push_service.delivered(sub)) == 1


async def test_a_member_with_an_open_socket_gets_no_push(
    server: Server, push_service: PushService
) -> None:
    a, online, offline = await server.member(), await server.member(), await server.member()
    online_sub = await subscribe(server, online, push_service)
    offline_sub = await subscribe(server, offline, push_service)
    socket = await server.connect(online)
    try:
        await send(server, a, await dm(server, a, online), "you are here")
        await send(server, a, await dm(server, a, offline), "you are away")
        await wait_for(lambda: push_service.delivered(offline_sub))  # routed after the first
    finally:
        await socket.close()
    assert push_service.attempts(online_sub) == []


async def test_levels_and_mutes_are_honoured(server: Server, push_service: PushService) -> None:
    a, b = await server.member(), await server.member()
    sub = await subscribe(server, b, push_service)
    room = await dm(server, a, b)
    await set_level(server, b, room, "none")
    await send(server, a, room, "silenced by none")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    await set_level(server, b, room, "all", muted_until=later)
    await send(server, a, room, "silenced by the mute")
    earlier = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    await set_level(server, b, room, "all", muted_until=earlier)
    await send(server, a, room, "heard")
    payloads = await wait_for(lambda: push_service.delivered(sub))
    assert [p["body"] for p in payloads] == ["heard"]


async def test_a_mentions_level_room_pushes_only_mentions(
    server: Server, push_service: PushService
) -> None:
    owner, b, loud = await server.member(), await server.member(), await server.member()
    room = await server.room(owner, b, loud)
    sub, loud_sub = (
        await subscribe(server, b, push_service),
        await subscribe(server, loud, push_service),
    )
    await set_level(server, loud, room, "all")
    await send(server, owner, room, "nothing for b")
    await send(server, owner, room, f"look <@{b.id}>")
    [mention] = await wait_for(lambda: push_service.delivered(sub))
    assert mention["mention"] is True and mention["body"].startswith("look @")
    assert mention["room_name"] and mention["direct"] is False
    bodies = await wait_for(
        lambda: (
            len(push_service.delivered(loud_sub)) == 2
            and [p["body"] for p in push_service.delivered(loud_sub)]
        )
    )
    assert bodies[0] == "nothing for b"


async def test_a_blocked_sender_does_not_push(server: Server, push_service: PushService) -> None:
    owner, b = await server.member(), await server.member()
    room = await server.room(owner, b)
    sub = await subscribe(server, b, push_service)
    blocked = await server.http.post(f"/me/blocks/{owner.id}", headers=b.headers)
    assert blocked.status_code == 201, blocked.text
    await send(server, owner, room, f"<@{b.id}> from a blocked sender")
    unblocked = await server.http.delete(f"/me/blocks/{owner.id}", headers=b.headers)
    assert unblocked.status_code == 204, unblocked.text
    await send(server, owner, room, f"<@{b.id}> after the unblock")
    payloads = await wait_for(lambda: push_service.delivered(sub))
    assert [p["body"].split(" ", 1)[1] for p in payloads] == ["after the unblock"]


async def test_a_410_deletes_the_subscription(server: Server, push_service: PushService) -> None:
    a, b = await server.member(), await server.member()
    sub = await subscribe(server, b, push_service)
    push_service.answers[push_service.token_of(sub)] = [410]
    await send(server, a, await dm(server, a, b), "gone")
    await wait_for(lambda: push_service.attempts(sub) == [410])

    async def deleted() -> bool:
        answer = await server.http.delete(f"/me/push-subscriptions/{sub['id']}", headers=b.headers)
        return answer.status_code == 404

    await wait_for(deleted)


async def test_a_429_is_retried_then_delivered(server: Server, push_service: PushService) -> None:
    a, b = await server.member(), await server.member()
    sub = await subscribe(server, b, push_service)
    push_service.answers[push_service.token_of(sub)] = [429, 500]
    await send(server, a, await dm(server, a, b), "eventually")
    await wait_for(lambda: push_service.delivered(sub))
    assert push_service.attempts(sub) == [429, 500, 201]


async def test_an_incoming_call_pushes_to_a_callee_with_no_socket(
    server: Server, push_service: PushService
) -> None:
    caller, callee = await server.member("Carol"), await server.member()
    room = await dm(server, caller, callee)
    sub = await subscribe(server, callee, push_service)
    socket = await server.connect(caller)
    try:
        await socket.send({"type": "call", "room_id": room, "to": callee.id, "action": "request"})
        [payload] = await wait_for(lambda: push_service.delivered(sub))
    finally:
        await socket.close()
    assert payload["type"] == "call" and payload["room_id"] == room
    assert payload["from"] == {"id": caller.id, "nickname": "Carol"}


async def test_previews_off_sends_no_text(
    tmp_path_factory: pytest.TempPathFactory, push_service: PushService
) -> None:
    env = {**PUSH_ENV, "PARLEY_PUSH_PREVIEWS": "false"}
    with running_server(tmp_path_factory.mktemp("nopreview"), env=env) as process:
        server = Server(process.base_url)
        try:
            push_service.expected_key = (await server.http.get("/push/vapid-key")).json()[
                "public_key"
            ]
            a, b = await server.member("Dora"), await server.member()
            sub = await subscribe(server, b, push_service)
            await send(server, a, await dm(server, a, b), "secret plans")
            [payload] = await wait_for(lambda: push_service.delivered(sub))
        finally:
            await server.close()
    assert "body" not in payload and "secret" not in str(payload)
    assert payload["title"] == "Dora"


async def test_a_logout_stops_pushes_to_the_browser_it_subscribed(
    server: Server, push_service: PushService
) -> None:
    a, b = await server.member(), await server.member()
    old = await subscribe(server, b, push_service)
    ended = await server.http.post("/auth/logout", json={"refresh_token": b.refresh_token})
    assert ended.status_code == 204
    again = await server.http.post(
        "/auth/login", json={"login_id": b.login_id, "password": PASSWORD}
    )
    b.token = again.json()["access_token"]
    new = await subscribe(server, b, push_service)
    await send(server, a, await dm(server, a, b), "only the new one")
    [payload] = await wait_for(lambda: push_service.delivered(new))
    assert payload["body"] == "only the new one"
    assert push_service.attempts(old) == []

    async def forgotten() -> bool:
        gone = await server.http.delete(f"/me/push-subscriptions/{old['id']}", headers=b.headers)
        return gone.status_code == 404

    await wait_for(forgotten)
