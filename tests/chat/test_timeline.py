"""Changes to messages keep DESIGN §4's guarantees: ordered with new messages by seq,
replayed on resume, consistent under concurrency; and they never count as unread."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.chat.support import change, item, message_path, reaction_path, say
from tests.support.ws import Server


def _timeline(frames: list[dict[str, Any]], room: int) -> list[dict[str, Any]]:
    return [
        f for f in frames if f.get("type") in ("message", "message_update") and f["room_id"] == room
    ]


async def test_resume_replays_edits_deletes_and_reactions_in_seq_order(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    first = await say(server, alice, room, "one")
    second = await say(server, alice, room, "two")
    ws = await server.connect(bob)
    subscribed, _ = await ws.subscribe(room)
    seen = subscribed["last_seq"]
    await ws.close()
    # while bob is away: an edit, a reaction, a delete, a new message
    await change(server, alice, "PATCH", message_path(room, first["id"]), body="one, edited")
    await change(server, alice, "PUT", reaction_path(room, first["id"], "🎉"))
    await change(server, alice, "DELETE", message_path(room, second["id"]))
    third = await say(server, alice, room, "three")
    back = await server.connect(bob)
    start = len(back.frames)
    await back.send({"type": "subscribe", "room_id": room, "after_seq": seen})
    done = await back.next_matching(lambda f: f.get("type") == "subscribed")
    replay = _timeline(back.frames[start:], room)
    assert [f["seq"] for f in replay] == list(range(seen + 1, done["last_seq"] + 1))
    assert [(f["type"], f.get("change")) for f in replay] == [
        ("message_update", "edit"),
        ("message_update", "react"),
        ("message_update", "delete"),
        ("message", None),
    ]
    edit, react, delete, new = replay
    assert edit["message"]["id"] == first["id"] and edit["message"]["body"] == "one, edited"
    assert react["message"]["reactions"][0]["emoji"] == "🎉"
    assert delete["message"]["id"] == second["id"] and delete["message"]["deleted"] is True
    assert new["id"] == third["id"]
    # every replayed state is the message as history shows it now
    assert edit["message"] == await item(server, bob, room, first["id"])
    # live after the replay, with no gap
    await change(server, alice, "PUT", reaction_path(room, third["id"], "👀"))
    live = await back.next_matching(
        lambda f: f.get("type") == "message_update" and f["seq"] > done["last_seq"]
    )
    assert live["seq"] == done["last_seq"] + 1 and live["message"]["id"] == third["id"]
    await back.close()


async def test_live_changes_and_new_messages_arrive_in_one_seq_order(server: Server) -> None:
    """Reactions go through the outbox, new messages straight from the writer: the hub
    delivers both by seq (reading a gap back from the database when one overtakes the
    other), so a subscriber sees every seq once, in order."""
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    target = await say(server, alice, room, "base")
    ws = await server.connect(bob)
    subscribed, _ = await ws.subscribe(room)
    sender = await server.connect(alice)
    emoji = "😀😁😂🤣😃😄😅😆😉😊"

    async def react(i: int) -> None:
        await change(server, bob, "PUT", reaction_path(room, target["id"], emoji[i]))

    async def send(i: int) -> None:
        await sender.send_message(room, f"m{i}")

    await asyncio.gather(*(f(i) for i in range(10) for f in (react, send)))
    frames = [await ws.next_matching(lambda f: f.get("type") in ("message", "message_update"))
              for _ in range(20)]  # fmt: skip
    assert [f["seq"] for f in frames] == list(
        range(subscribed["last_seq"] + 1, subscribed["last_seq"] + 21)
    )
    final = [f for f in frames if f["type"] == "message_update"][-1]["message"]
    assert len(final["reactions"]) == 10
    await ws.close()
    await sender.close()


async def test_concurrent_edit_and_delete_leave_one_consistent_state(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    ws = await server.connect(bob)
    await ws.subscribe(room)
    for trial in range(5):
        sent = await say(server, alice, room, f"trial {trial}")
        await ws.expect("message", id=sent["id"])
        path = message_path(room, sent["id"])
        results = await asyncio.gather(
            change(server, alice, "PATCH", path, body=f"edited {trial}"),
            change(server, alice, "DELETE", path),
            change(server, alice, "PATCH", path, body=f"edited again {trial}"),
        )
        statuses = sorted(status for status, _ in results)
        # the delete always wins in the end; an edit after it is refused, never applied
        assert 204 in statuses and set(statuses) <= {200, 204, 409}, results
        for status, body in results:
            if status == 409:
                assert body["code"] == "message_deleted"
        final = await item(server, bob, room, sent["id"])
        assert final["deleted"] is True and final["body"] == "" and final["html"] == ""
        versions = await server.http.get(path + "/edits", headers=bob.headers)
        assert versions.json()["items"] == []
        # one frame per applied change, the delete last, each with its own seq
        applied = 1 + sum(1 for status, _ in results if status == 200)
        updates = [await ws.expect("message_update", room_id=room) for _ in range(applied)]
        assert updates[-1]["change"] == "delete"
        assert all(u["change"] == "edit" for u in updates[:-1])
        seqs = [u["seq"] for u in updates]
        assert seqs == list(range(sent["seq"] + 1, sent["seq"] + 1 + applied))
        assert updates[-1]["message"] == final
    await ws.close()


async def test_unread_counts_count_new_messages_from_others_only(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)  # bob's join is a system message: not unread
    carol = await server.member()
    joined = await server.http.post(f"/rooms/{room}/join", headers=carol.headers)
    assert joined.status_code == 200

    async def counts(who: Any) -> tuple[int, int]:
        rows = (await server.http.get("/me/rooms", headers=who.headers)).json()
        mine = next(r for r in rows if r["id"] == room)
        return mine["unread"], mine["mentions"]

    assert await counts(alice) == (0, 0)  # two joins, both system messages
    sent = await say(server, bob, room, f"hi <@{alice.id}>")
    await say(server, alice, room, "my own")
    assert await counts(alice) == (1, 1)
    # changes to messages are not new messages
    await change(server, bob, "PATCH", message_path(room, sent["id"]), body=f"hey <@{alice.id}>")
    await change(server, carol, "PUT", reaction_path(room, sent["id"], "👍"))
    await change(server, alice, "PUT", f"/rooms/{room}/pins/{sent['id']}")
    assert await counts(alice) == (1, 1)
    # a deleted message no longer counts
    await change(server, bob, "DELETE", message_path(room, sent["id"]))
    assert await counts(alice) == (0, 0)
