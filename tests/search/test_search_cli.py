"""`parley search reindex` run for real: rebuilds grams that were lost, answers stay right."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import text

from parley.core.runtime import Runtime
from parley.search.api import reindex
from tests.search.conftest import make_room, search_all, send
from tests.support.api import signup
from tests.test_cli import run_parley


async def test_reindex_rebuilds_the_index(
    client: httpx.AsyncClient, runtime: Runtime, db_url: str, tmp_path: Path
) -> None:
    alice = await signup(client)
    room = await make_room(client, alice)
    ids = [await send(client, alice, room, f"재색인 {n}") for n in range(3)]
    await reindex(runtime.db, everything=False)
    async with runtime.db.engine.begin() as conn:  # as after a restore without derived tables
        await conn.execute(text("DELETE FROM search_grams"))
    assert await search_all(client, alice, q="재색인") == []

    result = run_parley("search", "reindex", cwd=tmp_path, env={"PARLEY_DATABASE_URL": db_url})
    assert result.returncode == 0, result.stderr
    assert "indexed" in result.stdout
    hits = await search_all(client, alice, q="재색인")
    assert [h["message"]["id"] for h in hits] == ids[::-1]
