"""Zulip's `verify_action`: state fetched before an action, plus the events a member's socket
received during it, equals the state fetched after. An action that changes what a member
sees without emitting an event (a nickname change, a friend request, once) fails here.

The state is what a client shows: its rooms (name, topic, role), each room's members (with
nickname and role), its friends and open requests, its blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from tests.support.ws import Member, Server, WsClient

State = dict[str, Any]
SETTLE_SECONDS = 8.0


async def fetch_state(server: Server, me: Member) -> State:
    headers = me.headers
    rooms = (await server.http.get("/me/rooms", headers=headers)).json()
    members: dict[int, dict[int, tuple[str, str]]] = {}
    for room in rooms:
        listing = await server.http.get(f"/rooms/{room['id']}/members", headers=headers)
        members[room["id"]] = {m["id"]: (m["nickname"], m["role"]) for m in listing.json()["items"]}
    friends = (await server.http.get("/me/friends", headers=headers)).json()
    blocks = (await server.http.get("/me/blocks", headers=headers)).json()
    return {
        "rooms": {r["id"]: (r["name"], r["topic"], r["role"]) for r in rooms},
        "members": members,
        "friends": {f["member"]["id"]: f["member"]["nickname"] for f in friends["friends"]},
        "incoming": {f["member"]["id"]: f["member"]["nickname"] for f in friends["incoming"]},
        "outgoing": {f["member"]["id"]: f["member"]["nickname"] for f in friends["outgoing"]},
        "blocks": {b["member"]["id"]: b["member"]["nickname"] for b in blocks},
    }


def apply_event(state: State, me: int, frame: dict[str, Any]) -> None:
    """What a client does with each event: the reducer the web UI implements too."""
    kind = frame.get("type")
    if kind == "member":
        room, member = frame["room_id"], frame["member"]
        people = state["members"].get(room)
        if people is None:
            return
        if frame["event"] in ("join", "role", "owner"):
            people[member["id"]] = (member["nickname"], member["role"])
            if member["id"] == me and room in state["rooms"]:
                name, topic, _ = state["rooms"][room]
                state["rooms"][room] = (name, topic, member["role"])
        elif frame["event"] in ("leave", "kick", "ban"):
            people.pop(member["id"], None)
            if member["id"] == me:
                state["rooms"].pop(room, None)
                state["members"].pop(room, None)
    elif kind == "room":
        room = frame["room"]
        if frame["event"] == "delete":
            state["rooms"].pop(room["id"], None)
            state["members"].pop(room["id"], None)
        elif room["id"] in state["rooms"]:
            role = state["rooms"][room["id"]][2]
            state["rooms"][room["id"]] = (room["name"], room["topic"], role)
    elif kind == "profile":
        member = frame["member"]
        for people in state["members"].values():
            if member["id"] in people:
                people[member["id"]] = (member["nickname"], people[member["id"]][1])
        for bucket in ("friends", "incoming", "outgoing", "blocks"):
            if member["id"] in state[bucket]:
                state[bucket][member["id"]] = member["nickname"]
    elif kind == "friend":
        other, event = frame["member"], frame["event"]
        for bucket in ("friends", "incoming", "outgoing"):
            state[bucket].pop(other["id"], None)
        if event == "request":
            state["outgoing" if frame["by"] == me else "incoming"][other["id"]] = other["nickname"]
        elif event == "accept":
            state["friends"][other["id"]] = other["nickname"]
    elif kind == "block":
        member = frame["member"]
        if frame["event"] == "add":
            state["blocks"][member["id"]] = member["nickname"]
        else:
            state["blocks"].pop(member["id"], None)
    elif kind in ("message", "message_update") and "messages" in state:
        # a fetched history page: a new message joins it, a change replaces the message
        # whole (`message_update.message` is the message's current state)
        message = frame["message"] if kind == "message_update" else frame
        page = state["messages"].get(message["room_id"])
        if page is None:
            return
        if kind == "message" or message["id"] in page:
            page[message["id"]] = {k: v for k, v in message.items() if k != "type"}
        if kind == "message_update" and frame["change"] == "delete":
            # quotes of a deleted message lose its words (the quote keeps id, seq, sender)
            for other in page.values():
                if (other.get("reply_to") or {}).get("id") == message["id"]:
                    other["reply_to"] = {**other["reply_to"], "excerpt": ""}


async def _take(ws: WsClient, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    with contextlib.suppress(TimeoutError, ConnectionClosed):
        while loop.time() < deadline:
            await ws.recv(max(0.01, deadline - loop.time()))


async def verify_action(
    server: Server, me: Member, ws: WsClient, action: Callable[[], Awaitable[None]]
) -> None:
    before = await fetch_state(server, me)
    seen = len(ws.frames)
    await action()
    after = await fetch_state(server, me)
    assert after != before, "the action must change what the member sees"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while True:
        applied = copy.deepcopy(before)
        for frame in ws.frames[seen:]:
            apply_event(applied, me.id, frame)
        if applied == after or loop.time() > deadline:
            break
        await _take(ws, 0.2)
    assert applied == after, {"applied": applied, "fetched": after, "events": ws.frames[seen:]}


async def test_every_action_that_changes_a_members_view_emits_its_events(server: Server) -> None:
    me, friend, stranger = await server.member(), await server.member(), await server.member()
    room = await server.room(me, friend)
    ws = await server.connect(me)
    await ws.subscribe(room)
    http, api = server.http, server

    async def post(path: str, who: Member, **body: Any) -> None:
        answer = await http.post(path, json=body or None, headers=who.headers)
        assert answer.status_code < 300, answer.text

    async def rename() -> None:
        answer = await http.patch("/me", json={"nickname": "renamed"}, headers=friend.headers)
        assert answer.status_code == 200, answer.text

    async def update_room() -> None:
        answer = await http.patch(f"/rooms/{room}", json={"topic": "news"}, headers=me.headers)
        assert answer.status_code == 200, answer.text

    async def kick() -> None:
        answer = await http.delete(f"/rooms/{room}/members/{stranger.id}", headers=me.headers)
        assert answer.status_code == 204, answer.text

    async def promote() -> None:
        answer = await http.patch(
            f"/rooms/{room}/members/{stranger.id}", json={"role": "admin"}, headers=me.headers
        )
        assert answer.status_code == 200, answer.text

    async def unfriend() -> None:
        answer = await http.delete(f"/me/friends/{me.id}", headers=friend.headers)
        assert answer.status_code == 204, answer.text

    actions: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("friend request", lambda: post("/me/friends", friend, member_id=me.id)),
        ("accept", lambda: post(f"/me/friends/{friend.id}/accept", me)),
        ("nickname change", rename),
        ("join", lambda: post(f"/rooms/{room}/join", stranger)),
        ("role change", promote),
        ("room update", update_room),
        ("kick", kick),
        ("unfriend", unfriend),
        ("block", lambda: post(f"/me/blocks/{stranger.id}", me)),
    ]
    for name, action in actions:
        try:
            await verify_action(api, me, ws, action)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    await ws.close()


async def fetch_with_messages(server: Server, me: Member, room: int) -> State:
    """The state plus a fetched history page of one room (id -> history item)."""
    state = await fetch_state(server, me)
    items = await server.history(me, room, limit=100)
    state["messages"] = {room: {m["id"]: m for m in items}}
    return state


async def test_every_change_to_a_message_emits_its_event(server: Server) -> None:
    """Edit, delete, react, unreact, pin, unpin and a reply: a history page fetched before,
    with the `message` and `message_update` frames applied, equals a fresh fetch."""
    from urllib.parse import quote

    me, friend = await server.member(), await server.member()
    room = await server.room(me, friend)
    ws = await server.connect(me)
    await ws.subscribe(room)
    http = server.http
    base = f"/rooms/{room}/messages"
    sent = await http.post(
        base, json={"body": "first **draft**", "client_msg_id": "va-1"}, headers=friend.headers
    )
    target = sent.json()["id"]
    mine = await http.post(base, json={"body": "mine", "client_msg_id": "va-2"}, headers=me.headers)
    own = mine.json()["id"]

    async def call(method: str, path: str, who: Member, **body: Any) -> None:
        answer = await http.request(method, path, json=body or None, headers=who.headers)
        assert answer.status_code < 300, answer.text

    heart = quote("❤️")
    actions: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("send a reply", lambda: call("POST", base, friend, body="re", client_msg_id="va-3",
                                      reply_to=own)),
        ("edit", lambda: call("PATCH", f"{base}/{target}", friend, body=f"final <@{me.id}>")),
        ("react", lambda: call("PUT", f"{base}/{target}/reactions/{heart}", friend)),
        ("react too", lambda: call("PUT", f"{base}/{target}/reactions/{heart}", me)),
        ("unreact", lambda: call("DELETE", f"{base}/{target}/reactions/{heart}", friend)),
        ("pin", lambda: call("PUT", f"/rooms/{room}/pins/{target}", me)),
        ("unpin", lambda: call("DELETE", f"/rooms/{room}/pins/{target}", me)),
        ("edit mine", lambda: call("PATCH", f"{base}/{own}", me, body="mine, edited")),
        ("delete by a moderator", lambda: call("DELETE", f"{base}/{target}", me)),
        ("delete my own (which was replied to)", lambda: call("DELETE", f"{base}/{own}", me)),
    ]  # fmt: skip
    for name, action in actions:
        before = await fetch_with_messages(server, me, room)
        seen = len(ws.frames)
        await action()
        after = await fetch_with_messages(server, me, room)
        assert after != before, f"{name}: the action must change what the member sees"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while True:
            applied = copy.deepcopy(before)
            for frame in ws.frames[seen:]:
                apply_event(applied, me.id, frame)
            if applied == after or loop.time() > deadline:
                break
            await _take(ws, 0.2)
        assert applied == after, {"action": name, "events": ws.frames[seen:]}
    await ws.close()
