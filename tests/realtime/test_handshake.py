"""Who may open `/ws`: ticket, Bearer header, or cookie from the same origin; nothing else."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.ws import Server, WsClient


async def closed_with(client: WsClient) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await client.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_no_credentials_or_bad_ones_close_with_4001(server: Server) -> None:
    alice = await server.member()
    attempts: list[dict[str, Any]] = [
        {},
        {"additional_headers": {"Authorization": "Bearer not-a-jwt"}},
        {"additional_headers": {"Authorization": "Basic YWxpY2U6cHc="}},
        {"additional_headers": {"Authorization": "Bearer"}},
        {"path": f"?token={alice.token}"},  # tokens in URLs are never accepted
        {"path": f"?access_token={alice.token}"},
        {"path": "?ticket=forged"},
        {"path": "?ticket=" + "x" * 5_000},
    ]
    for kwargs in attempts:
        client = await server.connect_raw(None, **kwargs)
        assert await closed_with(client) == 4001, kwargs


async def test_an_unparseable_handshake_gets_400_not_a_hanging_socket(server: Server) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET /ws?ticket={'x' * 20_000} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:80]
    writer.close()
    assert (await server.http.get(server.base_url + "/healthz")).status_code == 200


async def test_bearer_header_gets_ready_with_rooms(server: Server) -> None:
    alice, bob = await server.member(), await server.member()
    room = await server.room(alice, bob)
    client = await server.connect_raw(alice)
    ready = await client.recv()
    assert ready["type"] == "ready"
    assert ready["member"] == {"id": alice.id, "nickname": alice.nickname}
    assert {"room_id": room, "last_seq": 1} in ready["rooms"]  # "bob joined" is seq 1


async def test_ticket_is_single_use_and_expires(server: Server) -> None:
    alice = await server.member()

    async def ticket() -> str:
        response = await server.http.post("/auth/ws-ticket", headers=alice.headers)
        assert response.status_code == 200
        assert response.json()["expires_in"] == 2
        value: str = response.json()["ticket"]
        return value

    first = await ticket()
    ok = await server.connect_raw(None, path=f"?ticket={first}")
    assert (await ok.recv())["member"]["id"] == alice.id
    reused = await server.connect_raw(None, path=f"?ticket={first}")
    assert await closed_with(reused) == 4001
    late = await ticket()
    await asyncio.sleep(2.2)
    expired = await server.connect_raw(None, path=f"?ticket={late}")
    assert await closed_with(expired) == 4001
    anonymous = await server.http.post("/auth/ws-ticket")
    assert anonymous.status_code == 401


async def test_cookie_needs_the_same_origin(server: Server) -> None:
    alice = await server.member()
    cookie = {"Cookie": f"parley_access={alice.token}"}
    host = server.base_url.removeprefix("http://")
    same = await server.connect_raw(None, additional_headers={**cookie, "Origin": server.base_url})
    assert (await same.recv())["type"] == "ready"
    for origin in ("http://evil.example", f"http://{host}.evil.example", None):
        headers = dict(cookie)
        if origin is not None:
            headers["Origin"] = origin
        client = await server.connect_raw(None, additional_headers=headers, origin=None)
        assert await closed_with(client) == 4003, origin


async def test_a_logged_out_session_cannot_connect(server: Server) -> None:
    alice = await server.member()
    out = await server.http.post("/auth/logout", json={"refresh_token": alice.refresh_token})
    assert out.status_code == 204
    client = await server.connect_raw(alice)
    assert await closed_with(client) == 4001
