"""The export reads every table in one snapshot: rows committed meanwhile are not in it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from parley.core.database import create_engine
from parley.transfer.snapshot import _begin_snapshot
from tests.support.services import test_settings


@pytest.mark.parametrize("backend", ["postgres", "mariadb"])
async def test_a_row_committed_during_the_export_is_not_in_its_snapshot(db_url: str) -> None:
    engine = create_engine(test_settings(db_url))
    try:
        async with engine.begin() as setup:
            await setup.execute(text("DROP TABLE IF EXISTS snapshot_probe"))
            await setup.execute(text("CREATE TABLE snapshot_probe (n INTEGER)"))
            await setup.execute(text("INSERT INTO snapshot_probe VALUES (1)"))
        async with engine.connect() as export:
            await _begin_snapshot(export)
            count = text("SELECT COUNT(*) FROM snapshot_probe")
            assert await export.scalar(count) == 1
            async with engine.begin() as writer:  # another connection, committed
                await writer.execute(text("INSERT INTO snapshot_probe VALUES (2)"))
            assert await export.scalar(count) == 1  # the snapshot still sees one row
        async with engine.begin() as cleanup:
            await cleanup.execute(text("DROP TABLE snapshot_probe"))
    finally:
        await engine.dispose()
