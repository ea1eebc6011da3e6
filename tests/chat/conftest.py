"""A real `parley serve` process (SQLite, in-process bus) for the message-life tests."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.realtime.conftest import FAST_ENV
from tests.support.server import ServerProcess, running_server
from tests.support.ws import Server


@pytest.fixture(scope="package")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("chat"), env=FAST_ENV) as process:
        yield process


@pytest.fixture
async def server(server_process: ServerProcess) -> AsyncIterator[Server]:
    client = Server(server_process.base_url)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def db_rows(server_process: ServerProcess) -> Any:
    """Rows straight from the server's SQLite file (what is really stored)."""

    def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        path = server_process.workdir / "parley.db"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return list(conn.execute(sql, params))

    return query
