"""A WebSocket test client for protocol v1 that records (and checks) every frame it gets."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.api import PASSWORD
from tests.support.protocol import validate_server_frame

Frame = dict[str, Any]
#: every server frame any test received, checked against docs/protocol at the end of the run
RECEIVED_FRAMES: list[Frame] = []
_ids = itertools.count(1)


@dataclass
class Member:
    id: int
    login_id: str
    nickname: str
    token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class WsClient:
    conn: ClientConnection
    #: every frame received, in order
    frames: list[Frame] = field(default_factory=list)
    #: frames received but not yet taken by `expect`/`next_matching`
    unread: list[Frame] = field(default_factory=list)

    async def send(self, frame: Frame | str) -> None:
        await self.conn.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> Frame:
        """The next frame off the socket (ignores frames set aside by `expect`)."""
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        frame: Frame = json.loads(raw)
        validate_server_frame(frame)  # every frame the suite sees must match docs/protocol
        RECEIVED_FRAMES.append(frame)
        self.frames.append(frame)
        return frame

    async def next_matching(
        self, predicate: Callable[[Frame], bool], timeout: float = 5.0
    ) -> Frame:
        """The oldest frame matching `predicate`; frames that do not match are set aside for
        later calls, so the order in which a test asks for frames does not lose any."""
        for index, frame in enumerate(self.unread):
            if predicate(frame):
                return self.unread.pop(index)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - loop.time()))
            if predicate(frame):
                return frame
            self.unread.append(frame)

    async def expect(self, frame_type: str, /, timeout: float = 5.0, **fields: Any) -> Frame:
        """The oldest frame of `frame_type` whose fields match `fields`."""
        return await self.next_matching(
            lambda f: f.get("type") == frame_type and all(f.get(k) == v for k, v in fields.items()),
            timeout,
        )

    async def messages(self, room_id: int, count: int, timeout: float = 10.0) -> list[Frame]:
        """The next `count` message frames of a room."""
        return [await self.expect("message", timeout, room_id=room_id) for _ in range(count)]

    async def subscribe(
        self, room_id: int, after_seq: int | None = None
    ) -> tuple[Frame, list[Frame]]:
        """Subscribe; returns the `subscribed` frame and the replayed messages before it."""
        frame: Frame = {"type": "subscribe", "room_id": room_id}
        if after_seq is not None:
            frame["after_seq"] = after_seq
        await self.send(frame)
        answer = await self.next_matching(
            lambda f: (
                f.get("type") in ("subscribed", "error")
                and f.get("room_id", f.get("ref")) == room_id
            )
        )
        assert answer["type"] == "subscribed", answer
        replayed = [
            f for f in self.unread if f.get("type") == "message" and f["room_id"] == room_id
        ]
        self.unread = [f for f in self.unread if f not in replayed]
        return answer, replayed

    async def send_message(
        self, room_id: int, body: str, client_msg_id: str | None = None, **extra: Any
    ) -> str:
        client_msg_id = client_msg_id or f"c{next(_ids)}"
        await self.send(
            {
                "type": "send",
                "room_id": room_id,
                "client_msg_id": client_msg_id,
                "body": body,
                **extra,
            }
        )
        return client_msg_id

    async def close(self) -> None:
        await self.conn.close()


class Server:
    """HTTP helpers against a running parley process."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.api = f"{base_url}/api/v1"
        self.ws_url = base_url.replace("http://", "ws://") + "/ws"
        self.http = httpx.AsyncClient(base_url=self.api, timeout=10)

    async def member(self, nickname: str | None = None) -> Member:
        login_id = f"m{next(_ids)}_{id(self) % 10_000}"
        nickname = nickname or login_id
        response = await self.http.post(
            "/auth/signup", json={"login_id": login_id, "nickname": nickname, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        body = (
            await self.http.post("/auth/login", json={"login_id": login_id, "password": PASSWORD})
        ).json()
        return Member(
            body["member"]["id"], login_id, nickname, body["access_token"], body["refresh_token"]
        )

    async def login_again(self, member: Member) -> Member:
        """A second session of `member` (a fresh login: its own tokens)."""
        response = await self.http.post(
            "/auth/login", json={"login_id": member.login_id, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Member(
            member.id, member.login_id, member.nickname, body["access_token"], body["refresh_token"]
        )

    async def room(
        self, owner: Member, *members: Member, private: bool = False, **fields: Any
    ) -> int:
        response = await self.http.post(
            "/rooms",
            json={
                "name": f"room-{next(_ids)}-{id(self) % 10_000}",
                "is_private": private,
                **fields,
            },
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
        room_id: int = response.json()["id"]
        for member in members:
            if private:
                invited = await self.http.post(
                    f"/rooms/{room_id}/invites",
                    json={"member_id": member.id},
                    headers=owner.headers,
                )
                assert invited.status_code in (200, 201), invited.text
            joined = await self.http.post(f"/rooms/{room_id}/join", headers=member.headers)
            assert joined.status_code in (200, 201), joined.text
        return room_id

    async def connect(self, member: Member | None = None, **kwargs: Any) -> WsClient:
        """Connect and consume the `ready` frame."""
        client = await self.connect_raw(member, **kwargs)
        ready = await client.recv()
        assert ready["type"] == "ready", ready
        return client

    async def connect_raw(
        self, member: Member | None = None, path: str = "", **kwargs: Any
    ) -> WsClient:
        headers = dict(kwargs.pop("additional_headers", {}) or {})
        if member is not None:
            headers.update(member.headers)
        conn = await websockets.connect(
            self.ws_url + path, additional_headers=headers, open_timeout=30, **kwargs
        )
        return WsClient(conn)

    async def history(self, member: Member, room_id: int, **params: Any) -> list[Frame]:
        response = await self.http.get(
            f"/rooms/{room_id}/messages", params=params, headers=member.headers
        )
        assert response.status_code == 200, response.text
        items: list[Frame] = response.json()["items"]
        return items

    async def close(self) -> None:
        await self.http.aclose()


async def send_outcome(ws: WsClient, room: int, ref: str) -> str:
    """Send `ref` as a message to the room: `ack`, or the refusal's code."""
    await ws.send({"type": "send", "room_id": room, "client_msg_id": ref, "body": ref})
    answer = await ws.next_matching(
        lambda f: (
            (f.get("type") == "ack" and f.get("client_msg_id") == ref)
            or (f.get("type") == "error" and f.get("ref") == ref)
        )
    )
    return "ack" if answer["type"] == "ack" else str(answer["code"])
