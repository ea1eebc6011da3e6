"""Structured logs of a real server: JSON lines, one access line per request, no secrets."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx

from parley.core.logging import JsonFormatter
from tests.support.server import running_server

PASSWORD = "a very secret passphrase"


def test_a_real_server_logs_each_request_once_and_no_secret(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        base = f"{server.base_url}/api/v1"
        sent: list[tuple[str, str, int]] = []

        def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
            response = httpx.request(method, url, timeout=10, **kwargs)
            sent.append((method, httpx.URL(url).path, response.status_code))
            return response

        body = {"login_id": "logged", "nickname": "Logged", "password": PASSWORD}
        assert call("POST", f"{base}/auth/signup", json=body).status_code == 201
        credentials = {"login_id": "logged", "password": PASSWORD}
        tokens = call("POST", f"{base}/auth/login", json=credentials).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert call("GET", f"{base}/me", headers=bearer).status_code == 200
        call("GET", f"{server.base_url}/healthz")
        assert call("GET", f"{base}/members?q=log", headers=bearer).status_code == 200
        rotated = call(
            "POST", f"{base}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        wrong = {"login_id": "logged", "password": PASSWORD + " wrong"}
        assert call("POST", f"{base}/auth/login", json=wrong).status_code == 401
        call("GET", f"{server.base_url}/nowhere")
        call("POST", f"{base}/auth/signup", content=b"x" * 300_000)  # refused as too large
        secrets = [PASSWORD, tokens["access_token"], tokens["refresh_token"]]
        secrets += [rotated.json()["access_token"], rotated.json()["refresh_token"]]
    log = server.log()

    entries = [json.loads(line) for line in log.splitlines() if line.strip()]  # all JSON
    access = [e for e in entries if e["logger"] == "parley.access"]
    while access and access[0]["path"] == "/healthz":
        access.pop(0)  # the start-up probes of running_server
    assert [(e["method"], e["path"], e["status"]) for e in access] == sent
    for entry in access:
        assert isinstance(entry["duration_ms"], int | float) and entry["duration_ms"] >= 0
    for secret in secrets:
        assert secret not in log
    assert not any("color_message" in e for e in entries)
    assert not any(e["logger"] == "alembic.runtime.plugins" for e in entries)


def test_the_formatter_keeps_extras_and_drops_uvicorns_colour_copy() -> None:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "up on %s", ("x",), None)
    record.color_message = "\x1b[1mup\x1b[0m"
    record.port = 8000
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "up on x" and entry["port"] == 8000 and entry["level"] == "info"
    assert "color_message" not in entry
