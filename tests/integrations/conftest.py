"""A real HTTP receiver for outgoing webhooks, and an app with insecure endpoints allowed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from parley.core.config import Settings
from parley.core.runtime import Runtime
from tests.support.live import FAST_ENV, server_process_fixture
from tests.support.local_http import QuietHandler, local_http_server
from tests.support.services import test_settings


@dataclass
class Receiver:
    """Records every POST; answers with `status` and `answer` (bytes)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    answer: bytes = b""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

    with local_http_server(Handler) as origin:
        state.url = f"{origin}/hook"
        yield state


@pytest.fixture
def insecure(request: pytest.FixtureRequest) -> bool:
    return bool(getattr(request, "param", True))


@pytest.fixture
def settings(sqlite_url: str, insecure: bool) -> Settings:
    return test_settings(sqlite_url, allow_insecure_endpoints=insecure)


@pytest.fixture
def app_client(client: httpx.AsyncClient, runtime: Runtime) -> tuple[httpx.AsyncClient, Runtime]:
    """The in-process client of tests/conftest.py (on these settings) and its runtime."""
    return client, runtime


def decode(raw: bytes) -> Any:
    return json.loads(raw)


# the default send budget (10/s, burst 20): webhook posts are limited like members
server_process = server_process_fixture(
    "integrations",
    {
        **FAST_ENV,
        "PARLEY_SEND_RATE": "10",
        "PARLEY_SEND_BURST": "20",
        "PARLEY_ALLOW_INSECURE_ENDPOINTS": "true",
    },
)
