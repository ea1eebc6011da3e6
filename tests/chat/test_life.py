"""Edit, delete, reactions, pins and replies over HTTP, seen live as `message_update`.

Each change takes the room's next seq; the frame carries the whole current message, the
same shape as a history item.
"""

from __future__ import annotations

from typing import Any

from tests.chat.support import change, item, message_path, reaction_path, say
from tests.support.ws import Server


def _same_message(frame: dict[str, Any], history_item: dict[str, Any]) -> None:
    assert frame == history_item


async def test_edit_keeps_earlier_versions_and_is_a_timeline_event(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    ws = await server.connect(bob)
    await ws.subscribe(room)
    sent = await say(server, alice, room, "frist")
    await ws.expect("message", id=sent["id"])
    status, edited = await change(
        server, alice, "PATCH", message_path(room, sent["id"]), body="**first**"
    )
    assert status == 200, edited
    assert edited["body"] == "**first**" and edited["html"] == "<p><strong>first</strong></p>"
    assert edited["edited_at"] is not None and edited["seq"] == sent["seq"]
    update = await ws.expect("message_update", room_id=room)
    assert update["seq"] == sent["seq"] + 1 and update["change"] == "edit"
    assert update["by"] == alice.id
    _same_message(update["message"], await item(server, bob, room, sent["id"]))
    await change(server, alice, "PATCH", message_path(room, sent["id"]), body="first!")
    versions = await server.http.get(message_path(room, sent["id"]) + "/edits", headers=bob.headers)
    assert [v["body"] for v in versions.json()["items"]] == ["frist", "**first**"]
    # an unchanged body changes nothing: no seq, no frame
    status, same = await change(
        server, alice, "PATCH", message_path(room, sent["id"]), body="first!"
    )
    assert status == 200 and same["body"] == "first!"
    rooms = (await server.http.get("/me/rooms", headers=bob.headers)).json()
    assert next(r for r in rooms if r["id"] == room)["last_seq"] == sent["seq"] + 2
    await ws.close()


async def test_hostile_edits_are_refused_with_clear_codes(server: Server) -> None:
    alice, bob, outsider = await server.member(), await server.member(), await server.member()
    room = await server.room(alice, bob)
    other_room = await server.room(outsider)
    sent = await say(server, alice, room, "mine")
    path = message_path(room, sent["id"])
    assert (await change(server, bob, "PATCH", path, body="not yours"))[0] == 403
    status, problem = await change(server, bob, "PATCH", path, body="not yours")
    assert problem["code"] == "not_your_message"
    status, problem = await change(server, outsider, "PATCH", path, body="x")
    assert (status, problem["code"]) == (403, "not_a_member")
    # the message does not belong to that room
    status, problem = await change(
        server, outsider, "PATCH", message_path(other_room, sent["id"]), body="x"
    )
    assert (status, problem["code"]) == (404, "message_not_found")
    status, problem = await change(server, alice, "PATCH", path, body="   ")
    assert (status, problem["code"]) == (422, "empty_body")
    status, problem = await change(server, alice, "PATCH", path, body="x" * 5000)
    assert (status, problem["code"]) == (422, "body_too_long")
    # a system message (bob's join, seq 1) is nobody's to edit or delete
    join = (await server.history(alice, room))[0]
    assert join["kind"] == "system"
    status, problem = await change(server, alice, "PATCH", message_path(room, join["id"]), body="x")
    assert (status, problem["code"]) == (403, "not_your_message")
    status, problem = await change(server, alice, "DELETE", message_path(room, join["id"]))
    assert (status, problem["code"]) == (403, "system_message")
    assert (await item(server, alice, room, sent["id"]))["body"] == "mine"


async def test_delete_empties_the_message_in_the_database(server: Server, db_rows: Any) -> None:
    alice, bob, mod = await server.member(), await server.member(), await server.member()
    room = await server.room(alice, bob, mod)
    promoted = await server.http.patch(
        f"/rooms/{room}/members/{mod.id}", json={"role": "admin"}, headers=alice.headers
    )
    assert promoted.status_code == 200, promoted.text
    ws = await server.connect(alice)
    await ws.subscribe(room)
    first = await say(server, bob, room, f"secret <@{alice.id}>")
    spam = await say(server, bob, room, "buy now")
    await change(server, bob, "PATCH", message_path(room, first["id"]), body="secret v2")
    await change(server, alice, "PUT", reaction_path(room, first["id"], "👍"))
    # alice owns the room: a moderator deletes bob's message
    status, problem = await change(server, alice, "DELETE", message_path(room, first["id"]))
    assert status == 204
    status, problem = await change(server, bob, "DELETE", message_path(room, spam["id"]))
    assert status == 204
    tomb = await item(server, alice, room, first["id"])
    assert tomb["deleted"] is True and tomb["deleted_by"] == "moderator"
    assert tomb["body"] == "" and tomb["html"] == "" and tomb["reactions"] == []
    assert tomb["mentions"] == []
    own = await item(server, alice, room, spam["id"])
    assert own["deleted_by"] == "sender"
    # gone from the database itself: the body, the earlier versions, reactions, mentions
    assert db_rows("SELECT body, html FROM messages WHERE id = ?", first["id"]) == [("", "")]
    assert db_rows("SELECT count(*) FROM message_edits WHERE message_id = ?", first["id"]) == [(0,)]
    assert db_rows("SELECT count(*) FROM message_reactions WHERE message_id = ?", first["id"]) == [
        (0,)
    ]
    assert db_rows("SELECT count(*) FROM message_mentions WHERE message_id = ?", first["id"]) == [
        (0,)
    ]
    # the moderator's deletion is recorded (who, which message)
    assert db_rows(
        "SELECT change, by_id FROM message_updates WHERE message_id = ? ORDER BY seq DESC LIMIT 1",
        first["id"],
    ) == [("delete", alice.id)]
    update = await ws.next_matching(
        lambda f: f.get("type") == "message_update" and f["change"] == "delete"
    )
    assert update["message"]["id"] == first["id"] and update["message"]["body"] == ""
    # a deleted message is refused for edits and reactions; deleting again changes nothing
    status, problem = await change(server, bob, "PATCH", message_path(room, spam["id"]), body="x")
    assert (status, problem["code"]) == (409, "message_deleted")
    status, problem = await change(server, bob, "PUT", reaction_path(room, spam["id"], "👍"))
    assert (status, problem["code"]) == (409, "message_deleted")
    assert (await change(server, bob, "DELETE", message_path(room, spam["id"])))[0] == 204
    # an admin deletes, a plain member does not
    other = await say(server, alice, room, "by the owner")
    status, problem = await change(server, bob, "DELETE", message_path(room, other["id"]))
    assert (status, problem["code"]) == (403, "not_your_message")
    assert (await change(server, mod, "DELETE", message_path(room, other["id"])))[0] == 204
    await ws.close()


async def test_reactions_are_one_emoji_idempotent_and_bounded(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    sent = await say(server, alice, room, "react to me")
    ws = await server.connect(alice)
    await ws.subscribe(room)
    for emoji in ("👍", "❤", "👨‍👩‍👧", "🇰🇷"):
        status, message = await change(server, bob, "PUT", reaction_path(room, sent["id"], emoji))
        assert status == 200, message
    again = await change(server, bob, "PUT", reaction_path(room, sent["id"], "👍"))
    assert again[0] == 200
    message = await item(server, alice, room, sent["id"])
    # "❤" is stored as its fully qualified form, one chip whichever spelling is sent
    assert [r["emoji"] for r in message["reactions"]] == ["👍", "❤️", "👨‍👩‍👧", "🇰🇷"]
    assert message["reactions"][0] == {"emoji": "👍", "count": 1, "member_ids": [bob.id]}
    await change(server, alice, "PUT", reaction_path(room, sent["id"], "❤️"))
    assert (await item(server, alice, room, sent["id"]))["reactions"][1]["count"] == 2
    updates = [await ws.expect("message_update", room_id=room, change="react") for _ in range(5)]
    assert [u["seq"] for u in updates] == list(range(sent["seq"] + 1, sent["seq"] + 6))
    # removing is idempotent too
    for _ in range(2):
        status, message = await change(server, bob, "DELETE", reaction_path(room, sent["id"], "👍"))
        assert status == 200 and message["reactions"][0]["emoji"] == "❤️"
    for bad in ("a", "👍👍", "<script>", "🏽", "👍a", "%", " ", "‍", "x" * 60, "1"):
        status, problem = await change(server, bob, "PUT", reaction_path(room, sent["id"], bad))
        assert (status, problem.get("code")) == (422, "invalid_emoji"), (bad, problem)
    many = "😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙"
    for emoji in many:  # 3 kinds already there: 20 in all
        assert (await change(server, bob, "PUT", reaction_path(room, sent["id"], emoji)))[0] == 200
    status, problem = await change(server, bob, "PUT", reaction_path(room, sent["id"], "🙂"))
    assert (status, problem["code"]) == (409, "too_many_reactions")
    # another member may still join an existing one
    assert (await change(server, alice, "PUT", reaction_path(room, sent["id"], "😀")))[0] == 200
    await ws.close()


async def test_pins_are_for_room_moderators(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    sent = await say(server, bob, room, "pin me")
    status, problem = await change(server, bob, "PUT", f"/rooms/{room}/pins/{sent['id']}")
    assert (status, problem["code"]) == (403, "forbidden_role")
    status, message = await change(server, alice, "PUT", f"/rooms/{room}/pins/{sent['id']}")
    assert status == 200 and message["pinned"] is True
    assert (await change(server, alice, "PUT", f"/rooms/{room}/pins/{sent['id']}"))[0] == 200
    pins = (await server.http.get(f"/rooms/{room}/pins", headers=bob.headers)).json()["items"]
    assert [p["id"] for p in pins] == [sent["id"]]
    status, message = await change(server, alice, "DELETE", f"/rooms/{room}/pins/{sent['id']}")
    assert status == 200 and message["pinned"] is False
    assert (await server.http.get(f"/rooms/{room}/pins", headers=bob.headers)).json()["items"] == []


async def test_replies_quote_a_visible_message_of_the_same_room(server: Server) -> None:
    alice, bob, carol = await server.member(), await server.member(), await server.member()
    room = await server.room(alice, bob, carol)
    elsewhere = await server.room(alice)
    original = await say(server, alice, room, "the question is **this**")
    answer = await say(server, bob, room, "the answer", reply_to=original["id"])
    quote = (await item(server, carol, room, answer["id"]))["reply_to"]
    assert quote == {
        "id": original["id"],
        "seq": original["seq"],
        "sender": {"id": alice.id, "nickname": alice.nickname},
        "excerpt": "the question is **this**",
    }
    # over WebSocket too, and the live frame carries the quote
    ws = await server.connect(carol)
    await ws.subscribe(room)
    cmid = await ws.send_message(room, "me too", reply_to=original["id"])
    await ws.expect("ack", client_msg_id=cmid)
    live = await ws.expect("message", client_msg_id=cmid)
    assert live["reply_to"] == quote
    # another room's message, a whisper between others, an unknown id: invalid_reply
    foreign = await say(server, alice, elsewhere, "not here")
    whisper = await say(server, alice, room, "psst bob", to=bob.id)
    for target, who in ((foreign["id"], bob), (whisper["id"], carol), (10**15, bob)):
        refused = await server.http.post(
            f"/rooms/{room}/messages",
            json={"body": "re", "client_msg_id": f"re-{target}-{who.id}", "reply_to": target},
            headers=who.headers,
        )
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_reply"
    # bob sees the whisper, but may answer it only by whispering back to alice
    refused = await server.http.post(
        f"/rooms/{room}/messages",
        json={"body": "re", "client_msg_id": "re-public", "reply_to": whisper["id"]},
        headers=bob.headers,
    )
    assert refused.json()["code"] == "invalid_reply"
    await say(server, bob, room, "re psst", to=alice.id, reply_to=whisper["id"])
    await ws.send_message(room, "bad", client_msg_id="bad-reply", reply_to=whisper["id"])
    error = await ws.expect("error", ref="bad-reply")
    assert error["code"] == "invalid_reply"
    await ws.close()


async def test_around_seq_centres_a_page(server: Server) -> None:
    alice = await server.member()
    room = await server.room(alice)
    acks = [await say(server, alice, room, f"m{i}") for i in range(30)]
    target = acks[10]["seq"]
    page = (
        await server.http.get(
            f"/rooms/{room}/messages",
            params={"around_seq": target, "limit": 9},
            headers=alice.headers,
        )
    ).json()
    seqs = [m["seq"] for m in page["items"]]
    assert seqs == list(range(target - 4, target + 5))
    assert page["has_more"] is True and page["has_more_after"] is True
    edge = (
        await server.http.get(
            f"/rooms/{room}/messages",
            params={"around_seq": acks[-1]["seq"], "limit": 10},
            headers=alice.headers,
        )
    ).json()
    assert [m["seq"] for m in edge["items"]][-1] == acks[-1]["seq"]
    assert len(edge["items"]) == 10 and edge["has_more_after"] is False
    both = await server.http.get(
        f"/rooms/{room}/messages",
        params={"around_seq": target, "before_seq": 3},
        headers=alice.headers,
    )
    assert both.status_code == 422


async def test_a_deleted_message_no_longer_carries_its_files(server: Server, db_rows: Any) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    upload = await server.http.post(
        "/files", files={"file": ("note.txt", b"secret notes", "text/plain")}, headers=alice.headers
    )
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    sent = await say(server, alice, room, "see attached", attachments=[file_id])
    assert (await server.http.get(f"/files/{file_id}", headers=bob.headers)).status_code == 200
    assert (await change(server, alice, "DELETE", message_path(room, sent["id"])))[0] == 204
    assert "attachments" not in await item(server, bob, room, sent["id"])
    assert db_rows("SELECT count(*) FROM message_attachments WHERE message_id = ?", sent["id"]) == [
        (0,)
    ]
    assert (await server.http.get(f"/files/{file_id}", headers=bob.headers)).status_code == 404
