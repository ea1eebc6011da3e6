"""Helpers of the message-life tests: send over HTTP, change a message, read it back."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import quote

from tests.support.ws import Member, Server

_ids = itertools.count(1)


async def say(server: Server, who: Member, room: int, body: str, **extra: Any) -> dict[str, Any]:
    """Send over HTTP; returns the ack (id, seq)."""
    answer = await server.http.post(
        f"/rooms/{room}/messages",
        json={"body": body, "client_msg_id": f"life-{next(_ids)}", **extra},
        headers=who.headers,
    )
    assert answer.status_code == 201, answer.text
    ack: dict[str, Any] = answer.json()
    return ack


async def change(
    server: Server, who: Member, method: str, path: str, **body: Any
) -> tuple[int, dict[str, Any]]:
    answer = await server.http.request(method, path, json=body or None, headers=who.headers)
    payload: dict[str, Any] = answer.json() if answer.content else {}
    return answer.status_code, payload


def message_path(room: int, message_id: int) -> str:
    return f"/rooms/{room}/messages/{message_id}"


def reaction_path(room: int, message_id: int, emoji: str) -> str:
    return f"{message_path(room, message_id)}/reactions/{quote(emoji, safe='')}"


async def item(server: Server, who: Member, room: int, message_id: int) -> dict[str, Any]:
    """The message as a history item (the newest 100 of the room)."""
    items = await server.history(who, room, limit=100)
    found = [m for m in items if m["id"] == message_id]
    assert found, f"message {message_id} not in history"
    return found[0]
