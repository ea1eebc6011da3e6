"""The WebSocket protocol document is complete, self-consistent and strict enough to catch drift."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.api import signup
from tests.support.protocol import (
    CLIENT,
    DOCUMENT_PATH,
    SERVER,
    frames_by_type,
    iter_frames,
    load_document,
    resolve,
    validate_client_frame,
    validate_frame,
    validate_server_frame,
)
from tests.support.server import running_server

GUIDE_PATH = DOCUMENT_PATH.parent.parent / "protocol.md"

#: the fields of a message's life (DESIGN §7), on every message
MESSAGE_LIFE = {
    "html",
    "edited_at",
    "deleted",
    "deleted_by",
    "reactions",
    "reply_to",
    "mentions",
    "mentions_room",
    "pinned",
}
# DESIGN §4: frame type -> (required fields, optional fields), `type` left out.
CLIENT_FRAMES: dict[str, tuple[set[str], set[str]]] = {
    "subscribe": ({"room_id"}, {"after_seq"}),
    "unsubscribe": ({"room_id"}, set()),
    "send": ({"room_id", "client_msg_id", "body"}, {"to", "attachments", "reply_to"}),
    "typing": ({"room_id"}, set()),
    "read": ({"room_id", "seq"}, set()),
    "call": ({"room_id", "to", "action"}, {"data"}),
    "ping": ({"id"}, set()),
}
SERVER_FRAMES: dict[str, tuple[set[str], set[str]]] = {
    "ready": ({"member", "rooms"}, set()),
    "subscribed": ({"room_id", "last_seq", "read_seq"}, set()),
    "message": (
        {"room_id", "seq", "id", "sender", "kind", "body", "created_at", *MESSAGE_LIFE},
        {"client_msg_id", "to", "meta", "attachments"},
    ),
    # DESIGN §7 (issue 12): a change to a message, with the room's next seq
    "message_update": ({"room_id", "seq", "change", "by", "message"}, set()),
    "ack": ({"client_msg_id", "room_id", "seq", "id"}, set()),
    # issue 17: a slash command that stored no message of the sender's
    "command_done": ({"client_msg_id", "room_id", "command"}, set()),
    "error": ({"code", "detail"}, {"ref"}),
    "typing": ({"room_id", "member_id"}, set()),
    "presence": ({"member_id", "status"}, set()),
    "member": ({"room_id", "event", "member"}, set()),
    "room": ({"event", "room"}, set()),
    "read": ({"room_id", "member_id", "seq"}, set()),
    # issue 14: a moderator muted (or unmuted) the member
    "mute": ({"room_id", "member_id", "until"}, set()),
    "call": ({"room_id", "from", "action"}, {"data"}),
    "reset": ({"room_id", "last_seq"}, set()),
    "pong": ({"id"}, set()),
    # the one event path (issue 10): personal events and ended sessions
    "session_ended": ({"reason"}, set()),
    "profile": ({"member"}, set()),
    "friend": ({"event", "member", "by"}, set()),
    "block": ({"event", "member"}, set()),
}
EXPECTED = {CLIENT: CLIENT_FRAMES, SERVER: SERVER_FRAMES}


def _all_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _all_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _all_refs(value)]
    return []


def test_document_parses_as_asyncapi_3() -> None:
    document = load_document()
    assert str(document["asyncapi"]).startswith("3."), document["asyncapi"]
    assert document["channels"]["gateway"]["address"] == "/ws"
    assert {op["action"] for op in document["operations"].values()} == {"send", "receive"}


def test_every_reference_resolves() -> None:
    refs = _all_refs(load_document())
    assert refs
    for ref in refs:
        resolve(ref)  # raises KeyError on a dangling reference


@pytest.mark.parametrize("direction", [CLIENT, SERVER])
def test_every_frame_of_the_design_is_described(direction: str) -> None:
    documented = {t for d, t in frames_by_type() if d == direction}
    assert documented == set(EXPECTED[direction])
    for frame_type, (required, optional) in EXPECTED[direction].items():
        payload = resolve(frames_by_type()[(direction, frame_type)].pointer)[1]
        assert set(payload["required"]) == required | {"type"}, frame_type
        assert set(payload["properties"]) >= required | optional | {"type"}, frame_type


def test_server_frames_are_closed() -> None:
    for frame in iter_frames():
        payload = resolve(frame.pointer)[1]
        if frame.direction == SERVER:
            assert payload.get("additionalProperties") is False, frame.type


def test_guarantees_and_close_codes_are_stated() -> None:
    description = load_document()["info"]["description"]
    for title in ("Durable before visible", "Order", "Exactly-once send", "Resume"):
        assert f"**{title}**" in description
    for title in ("No unbounded buffers", "Authorization everywhere", "Bad input"):
        assert f"**{title}**" in description
    close_codes = load_document()["channels"]["gateway"]["x-close-codes"]
    assert set(close_codes) == {1001, 1009, 4001, 4003, 4008, 4009}
    for code in close_codes:
        assert f"| {code} |" in description


def test_every_example_validates() -> None:
    for frame in iter_frames():
        examples = frame.message.get("examples") or []
        assert examples, f"{frame.direction} frame {frame.type} has no example"
        for example in examples:
            validate_frame(frame.direction, example["payload"])


def _guide_frames() -> list[tuple[str, dict[str, Any]]]:
    """Frames quoted in the guide: `C: {...}` is a client frame, `S: {...}` a server frame."""
    found = []
    for line in GUIDE_PATH.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([CS]): (\{.*\})\s*$", line)
        if match:
            direction = CLIENT if match.group(1) == "C" else SERVER
            found.append((direction, json.loads(match.group(2))))
    return found


def test_guide_examples_validate() -> None:
    frames = _guide_frames()
    assert len(frames) >= 15
    for direction, frame in frames:
        validate_frame(direction, frame)
    assert {f["type"] for d, f in frames if d == SERVER} >= {"ready", "reset", "ack", "message"}


GOOD_MESSAGE = {
    "type": "message",
    "room_id": 1,
    "seq": 1,
    "id": 1,
    "sender": {"id": 2, "nickname": "Ada"},
    "kind": "text",
    "body": "hi",
    "created_at": "2025-01-01T00:00:00Z",
    "html": "<p>hi</p>",
    "edited_at": None,
    "deleted": False,
    "deleted_by": None,
    "reactions": [],
    "reply_to": None,
    "mentions": [],
    "mentions_room": False,
    "pinned": False,
}


@pytest.mark.parametrize(
    ("frame", "complaint"),
    [
        ({k: v for k, v in GOOD_MESSAGE.items() if k != "seq"}, "'seq' is a required property"),
        ({**GOOD_MESSAGE, "seq": "1"}, "at $.seq"),
        ({**GOOD_MESSAGE, "sender_name": "Ada"}, "Additional properties"),
        ({**GOOD_MESSAGE, "kind": "shout"}, "at $.kind"),
        ({**GOOD_MESSAGE, "created_at": "2025-01-01 00:00:00+09:00"}, "at $.created_at"),
        ({**GOOD_MESSAGE, "sender": {"id": 2}}, "at $.sender"),
        ({"type": "hello"}, "not in the protocol document"),
        ({"room_id": 1}, "not in the protocol document"),
        ({"type": "pong"}, "'id' is a required property"),
    ],
)
def test_a_wrong_server_frame_fails_clearly(frame: dict[str, Any], complaint: str) -> None:
    validate_server_frame(GOOD_MESSAGE)
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        validate_server_frame(frame)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "send", "room_id": 1, "body": "no client_msg_id"},
        {"type": "send", "room_id": 1, "client_msg_id": "", "body": "x"},
        {"type": "subscribe", "room_id": 0},
        {"type": "call", "room_id": 1, "to": 2, "action": "dance"},
        {"type": "ack", "client_msg_id": "a", "room_id": 1, "seq": 1, "id": 1},
    ],
)
def test_a_wrong_client_frame_fails(frame: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        validate_client_frame(frame)


def test_not_an_object_fails() -> None:
    with pytest.raises(AssertionError, match="JSON object"):
        validate_server_frame([1, 2])  # type: ignore[arg-type]


def test_document_lives_where_the_design_says() -> None:
    expected = Path(__file__).resolve().parent.parent / "docs" / "protocol" / "asyncapi.yaml"
    assert expected == DOCUMENT_PATH


try:
    import parley.realtime.gateway  # noqa: F401 - only asks whether /ws exists yet
except ImportError:  # pragma: no cover - until the realtime gateway is committed
    GATEWAY_LANDED = False
else:
    GATEWAY_LANDED = True


async def _drain(ws: Any, quiet_s: float = 0.5) -> list[dict[str, Any]]:
    """Every frame until the socket has been quiet for `quiet_s`."""
    frames = []
    with contextlib.suppress(TimeoutError):
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), quiet_s)))
    return frames


@pytest.mark.slow
@pytest.mark.skipif(not GATEWAY_LANDED, reason="gateway not landed")
async def test_a_real_server_speaks_the_documented_protocol(tmp_path: Path) -> None:
    """Drive most frame types through a real server; every frame it sends must validate."""
    env = {"PARLEY_PRESENCE_GRACE_SECONDS": "0"}
    with running_server(tmp_path, env=env) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            alice, bob = await signup(http), await signup(http)
            room = await http.post("/api/v1/rooms", json={"name": "r"}, headers=alice.headers)
            room_id = room.json()["id"]
            a = await connect(server.ws_url, additional_headers=alice.headers, proxy=None)
            sent = [
                {"type": "subscribe", "room_id": room_id},
                {"type": "ping", "id": 5},
                {"type": "send", "room_id": room_id, "client_msg_id": "m1", "body": "hi"},
                {"type": "subscribe", "room_id": 999_999},
            ]
            for frame in sent:
                validate_client_frame(frame)
                await a.send(json.dumps(frame))
            await a.send("not json")
            frames = await _drain(a)
            await http.post(f"/api/v1/rooms/{room_id}/join", headers=bob.headers)
            ticket = await http.post("/api/v1/auth/ws-ticket", headers=bob.headers)
            b = await connect(f"{server.ws_url}?ticket={ticket.json()['ticket']}", proxy=None)
            # something unread for bob, so his read marker moves (an unmoved one is not sent)
            await http.post(
                f"/api/v1/rooms/{room_id}/messages",
                json={"client_msg_id": "m2", "body": "unread"},
                headers=alice.headers,
            )
            for frame in [
                {"type": "subscribe", "room_id": room_id, "after_seq": 0},
                {"type": "typing", "room_id": room_id},
                {"type": "read", "room_id": room_id, "seq": 1_000_000},
                {"type": "call", "room_id": room_id, "to": alice.id, "action": "request"},
            ]:
                validate_client_frame(frame)
                await b.send(json.dumps(frame))
            frames += await _drain(b) + await _drain(a)
            await http.patch(f"/api/v1/rooms/{room_id}", json={"topic": "t"}, headers=alice.headers)
            await http.post(f"/api/v1/rooms/{room_id}/leave", headers=bob.headers)
            await b.close()
            frames += await _drain(a, 1.5)
            await a.close()
    for frame in frames:
        validate_server_frame(frame)
    seen = {frame["type"] for frame in frames}
    expected = {"ready", "subscribed", "message", "ack", "error", "pong", "typing", "read"}
    assert seen >= expected | {"call", "member", "room", "presence"}, seen
