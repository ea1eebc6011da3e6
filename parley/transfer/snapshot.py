"""`parley export FILE`: one consistent snapshot of every carried table, and the blobs.

All tables are read in one read transaction (REPEATABLE READ and READ ONLY on PostgreSQL,
a consistent InnoDB snapshot on MariaDB, one WAL read transaction on SQLite), so an export
taken while the server runs is a state the database was in. Rows are streamed table by
table and written as they come: memory stays bounded by a batch, whatever the size.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from parley.core.database import utcnow
from parley.files.models import FileBlob
from parley.files.storage import Storage, StorageMissing, blob_key
from parley.transfer import counters
from parley.transfer.archive import ArchiveError, ArchiveWriter, blob_part, table_part
from parley.transfer.progress import Progress
from parley.transfer.tables import carried_tables, encode_default

BATCH = 2000


async def _begin_snapshot(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif conn.dialect.name in ("mysql", "mariadb"):
        # the transaction SQLAlchemy began has read nothing yet: restart it as a snapshot,
        # REPEATABLE READ for this one (the engine runs READ COMMITTED, under which a
        # consistent snapshot lasts one statement)
        await conn.exec_driver_sql("COMMIT")
        await conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        await conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")


async def export_instance(
    engine: AsyncEngine, storage: Storage, path: Path, progress: Progress | None = None
) -> dict[str, Any]:
    """Write the export to `path` (via a temporary name); returns its manifest summary."""
    tables = carried_tables()
    partial = path.with_name(path.name + ".partial")
    writer = ArchiveWriter(partial)
    progress = progress or Progress(0)
    try:
        read_engine = engine.execution_options(parley_read_only=True)
        async with read_engine.connect() as conn, conn.begin():
            await _begin_snapshot(conn)
            revision = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
            counts = {
                t.name: int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
                for t in tables
            }
            next_ids = await counters.next_values(conn, tables)
            progress.stage("tables", total=sum(counts.values()), unit="rows")
            blobs: list[tuple[str, bool]] = []
            manifest_tables: dict[str, Any] = {}
            for table in tables:
                progress.stage(table.name)
                columns = [str(column.name) for column in table.columns]
                handle, part = writer.open_part(table_part(table.name), compress=True)
                part.write(orjson.dumps({"table": table.name, "columns": columns}) + b"\n")
                written = 0
                statement = select(table).order_by(*table.primary_key.columns)
                result = await conn.stream(statement.execution_options(yield_per=BATCH))
                async for rows in result.partitions(BATCH):
                    lines = [
                        orjson.dumps(list(row), default=encode_default()) + b"\n" for row in rows
                    ]
                    part.write(b"".join(lines))
                    if table.name == FileBlob.__tablename__:
                        blobs.extend((row.sha256, row.thumbnail_type is not None) for row in rows)
                    written += len(rows)
                    progress.advance(len(rows))
                writer.close_part(table_part(table.name), handle, part)
                manifest_tables[str(table.name)] = {
                    "part": table_part(table.name),
                    "rows": written,
                    "columns": columns,
                }
        progress.stage("files", total=len(blobs), unit="files")
        for sha256, has_thumbnail in blobs:
            await _copy_blob(storage, writer, sha256, False)
            if has_thumbnail:
                await _copy_blob(storage, writer, sha256, True)
            progress.advance(1)
        summary = {
            "schema_revision": revision,
            "created_at": utcnow().isoformat(),
            "source": engine.dialect.name,
            "tables": manifest_tables,
            "next_ids": next_ids,
            "files": len(blobs),
        }
        writer.finish(summary)
        os.replace(partial, path)
        return summary
    except BaseException:
        writer.abort()
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    finally:
        progress.close()


async def _copy_blob(storage: Storage, writer: ArchiveWriter, sha256: str, thumb: bool) -> None:
    name = blob_part(sha256, thumb)
    handle, part = writer.open_part(name, compress=False)
    try:
        async for chunk in storage.chunks(blob_key(sha256, thumbnail=thumb)):
            part.write(chunk)
    except StorageMissing:
        what = "thumbnail" if thumb else "file"
        raise ArchiveError(
            f"the {what} {sha256} is in the database but not in storage; "
            "run `parley files gc` or restore it, then export again"
        ) from None
    writer.close_part(name, handle, part)
