"""A real `parley serve` process (SQLite, in-process bus) for the real-time tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess, running_server
from tests.support.ws import Server

#: generous limits so that tests measure behaviour, not throttling (rate limits have own tests)
FAST_ENV = {
    "PARLEY_SEND_RATE": "10000",
    "PARLEY_SEND_BURST": "10000",
    "PARLEY_PRESENCE_GRACE_SECONDS": "0.5",
    "PARLEY_RESUME_MAX_MESSAGES": "200",
    "PARLEY_TYPING_INTERVAL_SECONDS": "1",
    "PARLEY_WS_TICKET_TTL_SECONDS": "2",
    "PARLEY_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
}


@pytest.fixture(scope="package")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("realtime"), env=FAST_ENV) as process:
        yield process


@pytest.fixture
async def server(server_process: ServerProcess) -> AsyncIterator[Server]:
    client = Server(server_process.base_url)
    try:
        yield client
    finally:
        await client.close()


def start_dedicated(tmp: Path, **env: str) -> ServerProcess:
    """A server of its own for a test that needs other settings or kills it."""
    from tests.support.server import start_server

    return start_server(tmp, env={**FAST_ENV, **env})
