"""A bot's life beyond its tokens, on a real server: its owner suspended (tokens refused,
sockets closed) and unsuspended (working again), its owner withdrawn, and the bot deleted
by its owner (tokens revoked, messages kept under its name)."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import websockets

from tests.integrations.test_bots import bearer, make_bot
from tests.scaleout.test_suspension_cluster import _process_env
from tests.support.api import PASSWORD
from tests.support.live import create_site_admin
from tests.support.server import ServerProcess
from tests.support.ws import Server


async def _say(server: Server, token: str, room: int, body: str) -> int:
    sent = await server.http.post(
        f"/rooms/{room}/messages",
        json={"client_msg_id": str(uuid.uuid4()), "body": body},
        headers=bearer(token),
    )
    return sent.status_code


async def _closed_code(ws: object) -> int:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        for _ in range(20):
            await ws.recv(timeout=10)  # type: ignore[attr-defined]
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_a_suspended_owners_bots_stop_and_resume(
    server: Server, server_process: ServerProcess
) -> None:
    env = {
        **os.environ,
        **{k: v for k, v in _process_env(server_process).items() if k.startswith("PARLEY_")},
    }
    database = server_process.workdir / "parley.db"  # the server's, relative to its cwd
    env.setdefault("PARLEY_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    made = await asyncio.to_thread(create_site_admin, "clusteradmin", env)
    assert made.returncode == 0, made.stderr
    login = await server.http.post(
        "/auth/login", json={"login_id": "clusteradmin", "password": PASSWORD}
    )
    admin = bearer(login.json()["access_token"])
    owner = await server.member()
    room = await server.room(owner)
    bot_id, _, token = await make_bot(server, owner)
    await server.http.post(f"/rooms/{room}/join", headers=bearer(token))
    assert await _say(server, token, room, "before") == 201
    ws = await server.connect_raw(additional_headers=bearer(token))
    assert (await ws.recv())["type"] == "ready"
    suspended = await server.http.post(
        f"/admin/members/{owner.id}/suspend", json={"reason": "spam"}, headers=admin
    )
    assert suspended.status_code == 200, suspended.text
    assert await _closed_code(ws) == 4001
    refused = await server.http.get("/me", headers=bearer(token))
    assert refused.status_code == 403 and refused.json()["code"] == "suspended"
    assert await _say(server, token, room, "during") == 403
    back = await server.http.post(f"/admin/members/{owner.id}/unsuspend", headers=admin)
    assert back.status_code == 200
    assert (await server.http.get("/me", headers=bearer(token))).json()["id"] == bot_id
    assert await _say(server, token, room, "after") == 201


async def test_deleting_a_bot_revokes_it_and_keeps_its_messages(server: Server) -> None:
    owner, other = await server.member(), await server.member()
    room = await server.room(owner)
    bot_id, _, token = await make_bot(server, owner)
    await server.http.post(f"/rooms/{room}/join", headers=bearer(token))
    assert await _say(server, token, room, "bot was here") == 201
    ws = await server.connect_raw(additional_headers=bearer(token))
    assert (await ws.recv())["type"] == "ready"
    not_theirs = await server.http.delete(f"/me/bots/{bot_id}", headers=other.headers)
    assert not_theirs.status_code == 404 and not_theirs.json()["code"] == "bot_not_found"
    gone = await server.http.delete(f"/me/bots/{bot_id}", headers=owner.headers)
    assert gone.status_code == 204, gone.text
    assert await _closed_code(ws) == 4001
    assert (await server.http.get("/me", headers=bearer(token))).status_code == 401
    assert (await server.http.get("/me/bots", headers=owner.headers)).json() == []
    again = await server.http.delete(f"/me/bots/{bot_id}", headers=owner.headers)
    assert again.status_code == 404
    history = await server.history(owner, room)
    said = [m for m in history if m["body"] == "bot was here"]
    assert said and said[0]["sender"] == {"id": bot_id, "nickname": "CI bot"}
    members = (await server.http.get(f"/rooms/{room}/members", headers=owner.headers)).json()
    assert bot_id not in [m["id"] for m in members["items"]]  # it left its rooms


async def test_a_withdrawn_owners_bots_stop(server: Server) -> None:
    owner = await server.member()
    room = await server.room(owner, await server.member())
    _, _, token = await make_bot(server, owner)
    await server.http.post(f"/rooms/{room}/join", headers=bearer(token))
    withdrawn = await server.http.request(
        "DELETE", "/me", json={"password": PASSWORD}, headers=owner.headers
    )
    assert withdrawn.status_code == 204, withdrawn.text
    assert (await server.http.get("/me", headers=bearer(token))).status_code in (401, 403)
    assert await _say(server, token, room, "orphan") in (401, 403)
