"""Slash commands (DESIGN §12) against a real server, over HTTP and the WebSocket: every
built-in command, the refusals, retries, and a custom command through a real webhook."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.integrations.conftest import Receiver
from tests.integrations.test_webhooks import wait_for
from tests.realtime.conftest import start_dedicated
from tests.support.ws import Member, Server


async def post(server: Server, who: Member, room: int, body: str, **extra: Any) -> httpx.Response:
    return await server.http.post(
        f"/rooms/{room}/messages",
        json={"client_msg_id": extra.pop("cid", str(uuid.uuid4())), "body": body, **extra},
        headers=who.headers,
    )


async def test_me_shrug_and_escaped_slash_are_messages(server: Server) -> None:
    ada = await server.member()
    room = await server.room(ada)
    for body in ("/me waves", "/shrug", "/shrug dunno", "//etc/hosts is a file"):
        sent = await post(server, ada, room, body)
        assert sent.status_code == 201, sent.text
    me, shrug, shrug_text, escaped = (await server.history(ada, room))[-4:]
    assert me["body"] == "waves" and me["meta"] == {"command": "me"} and me["kind"] == "text"
    assert shrug["html"] == "<p>¯\\_(ツ)_/¯</p>" and "meta" not in shrug
    assert shrug_text["html"] == "<p>dunno ¯\\_(ツ)_/¯</p>"
    assert escaped["body"] == "/etc/hosts is a file" and "meta" not in escaped
    assert (await post(server, ada, room, "/me")).json()["code"] == "empty_body"


async def test_unknown_command_is_refused_and_nothing_stored(server: Server) -> None:
    ada = await server.member()
    room = await server.room(ada)
    before = await server.history(ada, room)
    for body in ("/frobnicate now", "/", "/etc/hosts", "/deploy"):
        refused = await post(server, ada, room, body)
        assert refused.status_code == 422 and refused.json()["code"] == "unknown_command", body
    assert await server.history(ada, room) == before
    client = await server.connect(ada)
    try:
        cid = await client.send_message(room, "/nope")
        error = await client.expect("error", ref=cid)
        assert error["code"] == "unknown_command"
    finally:
        await client.close()
    assert await server.history(ada, room) == before


async def test_topic_invite_and_kick_follow_the_endpoints_rules(server: Server) -> None:
    owner, plain, outsider = await server.member(), await server.member(), await server.member()
    room = await server.room(owner, plain, private=True)
    watcher = await server.connect(owner)
    try:
        await watcher.subscribe(room)
        # /topic: the owner may, a plain member may not
        cid = await watcher.send_message(room, "/topic release day")
        done = await watcher.expect("command_done", client_msg_id=cid)
        assert done == {
            "type": "command_done",
            "client_msg_id": cid,
            "room_id": room,
            "command": "topic",
        }
        await watcher.expect("room", event="update")
        assert (await server.http.get(f"/rooms/{room}", headers=owner.headers)).json()[
            "topic"
        ] == "release day"
        refused = await post(server, plain, room, "/topic mine now")
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden_role"
        # /kick: a plain member may not; the owner may, by @nickname
        refused = await post(server, plain, room, f"/kick @{owner.nickname}")
        assert refused.status_code == 403, refused.text
        # /invite: a nonexistent nick, then a real one (private room: moderators only)
        missing = await post(server, owner, room, "/invite @nobody_called_this")
        assert missing.status_code == 404 and missing.json()["code"] == "member_not_found"
        refused = await post(server, plain, room, f"/invite @{outsider.nickname}")
        assert refused.status_code == 403, refused.text
        cid = str(uuid.uuid4())
        invited = await post(server, owner, room, f"/invite @{outsider.nickname}", cid=cid)
        assert invited.status_code == 200, invited.text
        assert invited.json() == {"client_msg_id": cid, "room_id": room, "command": "invite"}
        again = await post(server, owner, room, f"/invite @{outsider.nickname}", cid=cid)
        assert again.status_code == 200 and again.json() == invited.json()  # a retry
        twice = await post(server, owner, room, f"/invite @{outsider.nickname}")
        assert twice.status_code == 409 and twice.json()["code"] == "already_invited"
        invites = (await server.http.get("/me/invites", headers=outsider.headers)).json()
        assert [i["room"]["id"] for i in invites] == [room]
        kicked = await post(server, owner, room, f"/kick <@{plain.id}>")
        assert kicked.status_code == 200 and kicked.json()["command"] == "kick"
        await watcher.expect("member", room_id=room, event="kick")
        members = (await server.http.get(f"/rooms/{room}/members", headers=owner.headers)).json()
        assert plain.id not in [m["id"] for m in members["items"]]
        gone = await post(server, plain, room, "/me is still here?")
        assert gone.status_code == 403 and gone.json()["code"] == "not_a_member"
        # whispers, replies and files do not go with room commands
        bad = await post(server, owner, room, "/topic x", to=outsider.id)
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_field"
    finally:
        await watcher.close()
    # no command left a message of its sender's
    history = await server.history(owner, room)
    assert all(m["kind"] == "system" for m in history), history


async def test_polls_are_messages_voted_on_with_numbered_reactions(server: Server) -> None:
    ada, bob = await server.member(), await server.member()
    room = await server.room(ada, bob)
    sent = await post(server, ada, room, '/poll "Lunch?" "Noodles" “Rice” "Salad"')
    assert sent.status_code == 201, sent.text
    poll = (await server.history(ada, room))[-1]
    assert poll["meta"] == {
        "command": "poll",
        "question": "Lunch?",
        "options": ["Noodles", "Rice", "Salad"],
        "emoji": ["1️⃣", "2️⃣", "3️⃣"],
    }
    assert poll["body"] == "📊 Lunch?\n1️⃣ Noodles\n2️⃣ Rice\n3️⃣ Salad"
    voted = await server.http.put(
        f"/rooms/{room}/messages/{poll['id']}/reactions/2️⃣", headers=bob.headers
    )
    assert voted.status_code == 200
    assert voted.json()["reactions"] == [{"emoji": "2️⃣", "count": 1, "member_ids": [bob.id]}]
    edited = await server.http.patch(
        f"/rooms/{room}/messages/{poll['id']}", json={"body": "other"}, headers=ada.headers
    )
    assert edited.status_code == 403 and edited.json()["code"] == "poll_not_editable"
    many = " ".join(f'"o{i}"' for i in range(11))
    for bad in (
        '/poll "Q" "only one"',
        '/poll unbalanced "quote',
        f'/poll "Q" {many}',
        f'/poll "{"q" * 301}" "a" "b"',
        f'/poll "Q" "{"a" * 101}" "b"',
        '/poll "Q" "same" "SAME"',
        "/poll",
    ):
        refused = await post(server, ada, room, bad)
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_poll", bad
    huge = await post(server, ada, room, "/poll " + '"x" ' * 5000)
    assert huge.status_code == 422
    assert (await server.history(ada, room))[-1]["id"] == poll["id"]


async def test_websocket_commands_ack_and_retry_once(server: Server) -> None:
    ada = await server.member()
    room = await server.room(ada)
    client = await server.connect(ada)
    try:
        await client.subscribe(room)
        cid = await client.send_message(room, "/me dances")
        ack = await client.expect("ack", client_msg_id=cid)
        message = await client.expect("message", client_msg_id=cid)
        assert message["meta"] == {"command": "me"} and message["id"] == ack["id"]
        await client.send_message(room, "/me dances", client_msg_id=cid)
        assert await client.expect("ack", client_msg_id=cid) == ack  # no second message
        cid = await client.send_message(room, "/topic one")
        first = await client.expect("command_done", client_msg_id=cid)
        await client.send_message(room, "/topic one", client_msg_id=cid)
        assert await client.expect("command_done", client_msg_id=cid) == first
    finally:
        await client.close()
    mine = [m for m in await server.history(ada, room) if m["kind"] == "text"]
    assert [m["body"] for m in mine] == ["dances"]


async def test_commands_share_the_send_budget(tmp_path_factory: pytest.TempPathFactory) -> None:
    # one token a second and a burst of 20: 60 commands at once meet refusals however
    # slowly a loaded machine serves them, and messages then share the empty bucket
    process = start_dedicated(
        tmp_path_factory.mktemp("command-rate"), PARLEY_SEND_RATE="1", PARLEY_SEND_BURST="20"
    )
    server = Server(process.base_url)
    try:
        ada = await server.member()
        room = await server.room(ada)
        answers = await asyncio.gather(*(post(server, ada, room, "/topic t") for _ in range(60)))
        codes = [a.status_code for a in answers]
        assert 429 in codes and 20 <= codes.count(200) < 60, codes
        assert {a.json()["code"] for a in answers if a.status_code == 429} == {"rate_limited"}
    finally:
        await server.close()
        process.stop()


async def test_custom_command_round_trip_through_a_webhook(
    server: Server, receiver: Receiver
) -> None:
    owner, member = await server.member(), await server.member()
    room = await server.room(owner, member)
    receiver.answer = json.dumps({"text": "deploying **main**"}).encode()
    created = await server.http.post(
        f"/rooms/{room}/outgoing-webhooks",
        json={"url": receiver.url, "command": "deploy"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    sent = await post(server, member, room, "/deploy main --fast")
    assert sent.status_code == 200 and sent.json()["command"] == "deploy", sent.text

    async def answered():  # type: ignore[no-untyped-def]
        items = await server.history(member, room)
        return [m for m in items if m["body"] == "deploying **main**"]

    answer = (await wait_for(answered))[0]
    assert answer["sender"]["id"] == hook["bot_id"] and "<strong>main</strong>" in answer["html"]
    assert len(receiver.requests) == 1
    payload = json.loads(receiver.requests[0]["body"])
    assert payload["event"] == "command" and payload["command"] == "deploy"
    assert payload["args"] == "main --fast" and payload["room_id"] == room
    assert payload["member"] == {"id": member.id, "nickname": member.nickname}
    assert payload["message"] is None
    # the command itself is not a message; other rooms do not have /deploy
    assert not [m for m in await server.history(member, room) if "/deploy" in m["body"]]
    other = await server.room(owner)
    refused = await post(server, owner, other, "/deploy main")
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_command"
