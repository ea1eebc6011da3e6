"""A real `parley serve` process (SQLite, in-process bus) for the live social and file tests."""

from tests.support.live import server_process_fixture

server_process = server_process_fixture("social")
