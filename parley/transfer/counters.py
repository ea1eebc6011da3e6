"""Auto-increment counters: read from the source, set on the target after explicit ids.

A counter may be ahead of the largest id (the newest rows were deleted); carrying it keeps
ids from ever being reused. PostgreSQL's sequences are set with `setval` in the import's
transaction. InnoDB and SQLite raise their counter past an explicit id by themselves; a
counter that was ahead is set after commit on MariaDB (`ALTER TABLE` commits implicitly)
and in `sqlite_sequence` within the transaction on SQLite.
"""

from __future__ import annotations

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection


def counted(tables: list[Table]) -> list[Table]:
    return [table for table in tables if table.autoincrement_column is not None]


async def next_values(conn: AsyncConnection, tables: list[Table]) -> dict[str, int]:
    """The id each table's counter would hand out next."""
    dialect = conn.dialect.name
    result: dict[str, int] = {}
    for table in counted(tables):
        column = table.autoincrement_column
        assert column is not None
        largest = (await conn.execute(select(func.max(column)))).scalar() or 0
        counter = 0
        if dialect == "postgresql":
            sequence = (
                await conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"),
                    {"t": table.name, "c": column.name},
                )
            ).scalar()
            if sequence:
                row = (
                    # the name comes from PostgreSQL itself, already quoted where needed
                    await conn.execute(text(f"SELECT last_value, is_called FROM {sequence}"))  # noqa: S608
                ).one()
                counter = int(row[0]) + 1 if row[1] else int(row[0])
        elif dialect == "sqlite":
            seq = (
                await conn.execute(
                    text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
                )
            ).scalar()
            counter = int(seq or 0) + 1
        else:
            value = (
                await conn.execute(
                    text(
                        "SELECT AUTO_INCREMENT FROM information_schema.TABLES"
                        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t"
                    ),
                    {"t": table.name},
                )
            ).scalar()
            counter = int(value or 0)
        result[str(table.name)] = max(counter, int(largest) + 1)
    return result


async def set_in_transaction(
    conn: AsyncConnection, tables: list[Table], wanted: dict[str, int]
) -> None:
    """Within the import's transaction: every counter at least past the largest id."""
    dialect = conn.dialect.name
    for table in counted(tables):
        column = table.autoincrement_column
        assert column is not None
        largest = int((await conn.execute(select(func.max(column)))).scalar() or 0)
        target = max(wanted.get(table.name, 1), largest + 1)
        if dialect == "postgresql":
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, false)"),
                {"t": table.name, "c": column.name, "v": target},
            )
        elif dialect == "sqlite" and table.dialect_options["sqlite"].get("autoincrement"):
            await conn.execute(
                text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table.name}
            )
            await conn.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :v)"),
                {"t": table.name, "v": target - 1},
            )


async def set_after_commit(
    conn: AsyncConnection, tables: list[Table], wanted: dict[str, int]
) -> None:
    """MariaDB/MySQL only: a counter that was ahead of the largest id (DDL, so after commit)."""
    if conn.dialect.name not in ("mysql", "mariadb"):
        return
    for table in counted(tables):
        if table.name in wanted:
            await conn.exec_driver_sql(
                f"ALTER TABLE `{table.name}` AUTO_INCREMENT = {int(wanted[table.name])}"
            )
