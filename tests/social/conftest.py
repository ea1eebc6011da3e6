"""The real-server fixtures of the real-time tests, for the live social and file tests."""

from tests.realtime.conftest import server, server_process

__all__ = ["server", "server_process"]
