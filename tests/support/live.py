"""The fixtures of the suites that run against a real `parley serve` process.

A package's conftest says which server it wants, once:

    server_process = server_process_fixture("chat")             # FAST_ENV
    server_process = server_process_fixture("hooks", {**FAST_ENV, "PARLEY_SEND_RATE": "10"})

and its tests ask for `server_process` (the process) or `server` (an HTTP/WebSocket client of
it, made per test; defined once in tests/conftest.py). A fixture made here and assigned in a
package's conftest is that package's own: each package gets its own process.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pytest

from tests.support.api import PASSWORD
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

Scope = Literal["session", "package", "module", "class", "function"]


def server_process_fixture(
    label: str,
    env: Mapping[str, str] = FAST_ENV,
    *,
    prepare: Callable[[ServerProcess], None] | None = None,
    scope: Scope = "package",
) -> Any:
    """A fixture running one `parley serve` (SQLite, in-process bus) with `env` in a fresh
    directory named `label`, for the tests of the package (or module, with `scope`) that
    assigns it; `prepare(process)` runs once the server is healthy (an admin account…)."""

    def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
        """A real `parley serve` for these tests (see `server_process_fixture`)."""
        with running_server(tmp_path_factory.mktemp(label), env=dict(env)) as process:
            if prepare is not None:
                prepare(process)
            yield process

    return pytest.fixture(scope=scope)(server_process)


@contextlib.asynccontextmanager
async def server_client(process: ServerProcess) -> AsyncIterator[Server]:
    """A test's client of a running server, closed after it."""
    client = Server(process.base_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def server(server_process: ServerProcess) -> AsyncIterator[Server]:
    """A client of the package's `server_process`."""
    async with server_client(server_process) as client:
        yield client


def create_site_admin(
    login_id: str, env: Mapping[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`parley admin create` beside a server (same database settings), password on stdin."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "parley",
            "admin",
            "create",
            "--password-stdin",
            "--login-id",
            login_id,
        ],
        cwd=cwd,
        env={**os.environ, **env},
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
