"""Bots on a real server: tokens shown once and hashed, API and WebSocket, room limits,
revocation, no password login, and who may do what."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid

import pytest
import websockets

from tests.support.server import ServerProcess
from tests.support.ws import Member, Server


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_bot(
    server: Server, owner: Member, rooms: list[int] | None = None
) -> tuple[int, int, str]:
    created = await server.http.post("/me/bots", json={"nickname": "CI bot"}, headers=owner.headers)
    assert created.status_code == 201, created.text
    bot_id = created.json()["id"]
    body = {} if rooms is None else {"rooms": rooms}
    token = await server.http.post(f"/me/bots/{bot_id}/tokens", json=body, headers=owner.headers)
    assert token.status_code == 201, token.text
    return bot_id, token.json()["id"], token.json()["token"]


async def test_a_bot_uses_the_api_and_the_websocket_with_its_token(
    server: Server, server_process: ServerProcess
) -> None:
    owner = await server.member()
    room = await server.room(owner)
    bot_id, token_id, token = await make_bot(server, owner)
    assert token.startswith("pbt_")
    me = await server.http.get("/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["id"] == bot_id
    assert (await server.http.post(f"/rooms/{room}/join", headers=bearer(token))).status_code in (
        200,
        201,
    )
    sent = await server.http.post(
        f"/rooms/{room}/messages",
        json={"client_msg_id": str(uuid.uuid4()), "body": "build green"},
        headers=bearer(token),
    )
    assert sent.status_code == 201, sent.text
    history = await server.history(owner, room)
    assert history[-1]["body"] == "build green" and history[-1]["sender"]["id"] == bot_id
    # the WebSocket: the same token in the handshake header
    ws = await server.connect_raw(additional_headers=bearer(token))
    assert (await ws.recv())["type"] == "ready"
    await ws.subscribe(room)
    await ws.send({"type": "send", "room_id": room, "client_msg_id": "ws-1", "body": "over ws"})
    await ws.expect("ack", client_msg_id="ws-1")
    # stored hashed: the table holds the digest, never the token
    path = server_process.workdir / "parley.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        stored = [
            r[0]
            for r in conn.execute("SELECT token_hash FROM bot_tokens WHERE id = ?", (token_id,))
        ]
        login_id = conn.execute("SELECT login_id FROM members WHERE id = ?", (bot_id,)).fetchone()[
            0
        ]
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    # listed without the secret; revoking ends the API and closes the socket with 4001
    listed = (await server.http.get(f"/me/bots/{bot_id}/tokens", headers=owner.headers)).json()
    assert [t["id"] for t in listed] == [token_id] and "token" not in listed[0]
    revoked = await server.http.delete(
        f"/me/bots/{bot_id}/tokens/{token_id}", headers=owner.headers
    )
    assert revoked.status_code == 204
    assert (await server.http.get("/me", headers=bearer(token))).status_code == 401
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(20):
            await ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001
    # never a password login: the bot's login id is refused by the login rules
    for password in ("", "x" * 12):
        answer = await server.http.post(
            "/auth/login", json={"login_id": login_id, "password": password}
        )
        assert answer.status_code in (401, 422), answer.text


async def test_room_limited_tokens_and_the_authorisation_matrix(server: Server) -> None:
    owner, other = await server.member(), await server.member()
    allowed, refused = await server.room(owner), await server.room(owner)
    bot_id, _, token = await make_bot(server, owner, rooms=[allowed])
    assert (
        await server.http.post(f"/rooms/{allowed}/join", headers=bearer(token))
    ).status_code in (200, 201)
    answer = await server.http.post(f"/rooms/{refused}/join", headers=bearer(token))
    assert answer.status_code == 403 and answer.json()["code"] == "room_not_allowed"
    assert (await server.http.get("/me/rooms", headers=bearer(token))).status_code == 403
    # a room-limited token cannot open the WebSocket (frames are not checked per token)
    ws = await server.connect_raw(additional_headers=bearer(token))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003
    # another member neither sees nor manages the bot; the bot cannot own bots
    assert (
        await server.http.get(f"/me/bots/{bot_id}/tokens", headers=other.headers)
    ).status_code == 404
    assert (
        await server.http.post(f"/me/bots/{bot_id}/tokens", json={}, headers=other.headers)
    ).status_code == 404
    assert (await server.http.get("/me/bots", headers=other.headers)).json() == []
    _, _, free_token = await make_bot(server, owner)
    assert (
        await server.http.post("/me/bots", json={"nickname": "x"}, headers=bearer(free_token))
    ).status_code == 403
    # hostile tokens and bodies
    for bad in ("pbt_", "pbt_" + "a" * 300, "pbt_' OR 1=1 --"):
        assert (await server.http.get("/me", headers=bearer(bad))).status_code == 401
    for body in ({"rooms": [0]}, {"rooms": ["1"]}, {"rooms": list(range(1, 102))}, {"extra": 1}):
        answer = await server.http.post(
            f"/me/bots/{bot_id}/tokens", json=body, headers=owner.headers
        )
        assert answer.status_code == 422, (body, answer.text)
