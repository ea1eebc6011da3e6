"""`parley import FILE`: an export into an empty, migrated database of any kind.

Nothing is written before the whole file has been checked against its manifest. Then the
blobs go to storage (keys derive from content, so a re-run is harmless) and every row is
inserted in ONE transaction, with the ids it had: any failure rolls the database back to
empty and removes the blobs this run added.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from itertools import islice
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from parley.files.storage import Storage, blob_key
from parley.transfer import counters
from parley.transfer.archive import ArchiveError, ArchiveReader
from parley.transfer.progress import Progress
from parley.transfer.tables import carried_tables, decoder

BATCH = 1000


class TargetError(Exception):
    """The target database cannot take this export (not empty, another schema revision)."""


async def _check_target(conn: AsyncConnection, reader: ArchiveReader, tables: list[Table]) -> None:
    revision = await conn.run_sync(
        lambda sync: MigrationContext.configure(sync).get_current_revision()
    )
    wanted = reader.manifest["schema_revision"]
    if revision != wanted:
        raise TargetError(
            f"the export has schema revision {wanted}, the target database {revision or 'none'}:"
            f" run `parley migrate {wanted}` on an empty database first"
        )
    known = {table.name for table in tables}
    unknown = sorted(set(reader.manifest["tables"]) - known)
    if unknown:
        raise TargetError(f"the export has tables this Parley does not know: {unknown}")
    for table in tables:
        if (await conn.execute(select(1).select_from(table).limit(1))).first() is not None:
            raise TargetError(
                f"the target database is not empty (table {table.name} has rows);"
                " import only into a freshly migrated database"
            )


async def _insert_table(
    conn: AsyncConnection, reader: ArchiveReader, table: Table, progress: Progress
) -> int:
    entry = reader.manifest["tables"].get(table.name)
    if entry is None:
        return 0
    columns, rows = reader.rows(table.name)
    missing = [name for name in columns if name not in table.columns]
    if missing:
        raise TargetError(f"table {table.name} has no columns {missing} here")
    decoders = [decoder(table.columns[name]) for name in columns]
    count = 0
    while batch := list(islice(rows, BATCH)):
        values = [
            {
                name: convert(value)
                for name, convert, value in zip(columns, decoders, row, strict=True)
            }
            for row in batch
        ]
        await conn.execute(table.insert(), values)
        count += len(values)
        progress.advance(len(values))
    if count != entry["rows"]:
        raise ArchiveError(f"table {table.name}: {count} rows, the manifest says {entry['rows']}")
    return count


async def _put_blobs(
    reader: ArchiveReader, storage: Storage, progress: Progress, added: list[str]
) -> None:
    names = [name for name in reader.parts if name.startswith(("blobs/", "thumbs/"))]
    progress.stage("files", total=len(names), unit="files")
    staging = Path(tempfile.mkdtemp(prefix="parley-import-", dir=_staging(storage)))
    try:
        for name in names:
            kind, sha256 = name.split("/", 1)
            key = blob_key(sha256, thumbnail=kind == "thumbs")
            if not await storage.exists(key):
                spooled = staging / sha256
                with reader.open_blob(name) as source, spooled.open("wb") as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
                await storage.put_file(key, spooled, "application/octet-stream")
                added.append(key)
            progress.advance(1)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staging(storage: Storage) -> str:
    storage.staging_dir.mkdir(parents=True, exist_ok=True)
    return str(storage.staging_dir)


async def import_instance(
    engine: AsyncEngine, storage: Storage, path: Path, progress: Progress | None = None
) -> dict[str, int]:
    """Import the export at `path`; returns the rows inserted per table."""
    progress = progress or Progress(0)
    reader = ArchiveReader(path)
    tables = carried_tables()
    added: list[str] = []
    try:
        progress.stage("checking", total=reader.total_bytes, unit="bytes")
        reader.verify(progress.advance)
        async with engine.connect() as conn:
            await _check_target(conn, reader, tables)
            await conn.rollback()
        await _put_blobs(reader, storage, progress, added)
        total = sum(int(t["rows"]) for t in reader.manifest["tables"].values())
        progress.stage("rows", total=total, unit="rows")
        counts: dict[str, int] = {}
        next_ids: dict[str, int] = reader.manifest.get("next_ids", {})
        async with engine.begin() as conn:
            await _check_target(conn, reader, tables)  # again, now inside the transaction
            for table in tables:
                progress.stage(table.name)
                counts[table.name] = await _insert_table(conn, reader, table, progress)
            await counters.set_in_transaction(conn, tables, next_ids)
        added.clear()  # committed: the blobs are the imported rows' now
        async with engine.connect() as conn:
            await counters.set_after_commit(conn, tables, next_ids)
        return counts
    except BaseException:
        for key in added:
            with contextlib.suppress(Exception):
                await storage.delete(key)
        raise
    finally:
        progress.close()
        reader.close()


def summary_of(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in counts.items() if count)


__all__ = ["ArchiveError", "TargetError", "import_instance", "summary_of"]
