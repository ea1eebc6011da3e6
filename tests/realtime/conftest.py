"""A real `parley serve` process (SQLite, in-process bus) for the real-time tests."""

from __future__ import annotations

from pathlib import Path

from tests.support.live import FAST_ENV, server, server_process_fixture
from tests.support.server import ServerProcess, start_server

server_process = server_process_fixture("realtime")


def start_dedicated(tmp: Path, **env: str) -> ServerProcess:
    """A server of its own for a test that needs other settings or kills it."""
    return start_server(tmp, env={**FAST_ENV, **env})


#: `server` is defined once (tests/support/live.py); named here for conftests that import it
__all__ = ["FAST_ENV", "server", "server_process", "start_dedicated"]
