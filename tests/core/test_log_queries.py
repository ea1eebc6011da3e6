"""No query string reaches a log line: a `?ticket=` or a token put in a URL stays secret."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from pathlib import Path

import websockets

from parley.core.logging import JsonFormatter, scrub_queries
from tests.support.server import running_server
from tests.support.ws import Server


async def _websocket(url: str) -> None:
    """Open `url`, wait for the first frame or the close; refusals are expected too."""
    try:
        async with websockets.connect(url, open_timeout=5) as conn:
            await asyncio.wait_for(conn.recv(), 5)
    except (websockets.WebSocketException, TimeoutError, OSError):
        pass


async def _websocket_with(url: str, headers: dict[str, str]) -> None:
    try:
        async with websockets.connect(url, open_timeout=5, additional_headers=headers) as conn:
            await asyncio.wait_for(conn.recv(), 5)
    except (websockets.WebSocketException, TimeoutError, OSError):
        pass


async def _traffic(base_url: str) -> list[str]:
    """Every kind of request whose URL carries a secret; returns the secrets."""
    client = Server(base_url)
    try:
        member = await client.member()
        ticket = (await client.http.post("/auth/ws-ticket", headers=member.headers)).json()
        ws = client.ws_url
        # a real ticket (accepted), a wrong one (refused), a token in the URL, both at once
        await _websocket(f"{ws}?ticket={ticket['ticket']}&access_token=SECRET-A1")
        await _websocket(f"{ws}?ticket=SECRET-T2&access_token=SECRET-A2")
        await _websocket(f"{ws}?access_token={member.token}")
        await _websocket(f"{ws}/?ticket=SECRET-T3")  # an unknown WebSocket path
        # at debug, websockets prints every handshake header: credentials must not show
        await _websocket_with(ws, {**member.headers, "Cookie": "parley_access=SECRET-C1"})
        http = client.http
        await http.get(f"{base_url}/healthz?token=SECRET-H1")
        await http.get("/me?access_token=SECRET-H2", headers=member.headers)
        await http.get("/members?q=SECRET-H3", headers=member.headers)
        await http.get(f"{base_url}/nowhere?SECRET-H4")
        await http.post("/auth/login?x=SECRET-H5", json={"login_id": "x", "password": "y" * 12})
        return [ticket["ticket"], member.token]
    finally:
        await client.close()


def _invalid_request(port: int) -> None:
    """A request line uvicorn cannot parse, with a query: its warning must not echo it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /x?SECRET-R1 HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 400")  # the warning path ran


def test_no_query_string_of_any_path_reaches_the_log(tmp_path: Path) -> None:
    # debug: the most talkative level (websockets prints the handshake, aiosqlite statements)
    with running_server(tmp_path, env={"PARLEY_LOG_LEVEL": "debug"}) as server:
        secrets = asyncio.run(_traffic(server.base_url))
        _invalid_request(server.port)
        time.sleep(0.5)  # the last lines reach the file
    log = server.log()
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    websocket_lines = [e["msg"] for e in entries if '"WebSocket /ws' in e["msg"]]
    assert websocket_lines, "uvicorn logged no WebSocket line: the test lost its subject"
    assert any("/ws?…" in line for line in websocket_lines)  # scrubbed, not dropped
    for secret in [*secrets, "SECRET"]:
        assert secret not in log
    access = [e for e in entries if e["logger"] == "parley.access"]
    assert {"/healthz", "/api/v1/me", "/api/v1/members", "/nowhere"} <= {e["path"] for e in access}


def test_scrubbing_keeps_paths_and_sentences() -> None:
    assert scrub_queries('1.2.3.4:5 - "WebSocket /ws?ticket=abc&x=1" 403') == (
        '1.2.3.4:5 - "WebSocket /ws?…" 403'
    )
    assert scrub_queries("GET http://h:1/a/b?c=d HTTP/1.1") == "GET http://h:1/a/b?… HTTP/1.1"
    assert scrub_queries("is the database up? yes") == "is the database up? yes"
    assert scrub_queries("WHERE id = ? AND b = ?") == "WHERE id = ? AND b = ?"
    assert scrub_queries("< Authorization: Bearer abc") == "< Authorization: …"
    assert scrub_queries("< cookie: a=b") == "< cookie: …"
    assert scrub_queries("< Host: parley") == "< Host: parley"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("/ws?ticket=t",), None)
    record.target = "/api?token=t"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "/ws?…" and entry["target"] == "/api?…"
