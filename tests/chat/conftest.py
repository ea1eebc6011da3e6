"""A real `parley serve` process (SQLite, in-process bus) for the message-life tests."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.support.live import server_process_fixture
from tests.support.server import ServerProcess

server_process = server_process_fixture("chat")


@pytest.fixture
def db_rows(server_process: ServerProcess) -> Any:
    """Rows straight from the server's SQLite file (what is really stored)."""

    def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        path = server_process.workdir / "parley.db"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return list(conn.execute(sql, params))

    return query
