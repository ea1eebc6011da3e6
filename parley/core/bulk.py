"""A multi-row INSERT … RETURNING for the message writer's batch, below SQLAlchemy on SQLite.

Storing a batch of a few hundred messages through `conn.execute(insert(...), rows)` spent
more CPU in SQLAlchemy (a dict and a bind-processor call per parameter, the compiled-cache
lookup, the result wrapping) than SQLite spent storing the rows, and it ran in the batch
thread, taking the GIL from the event loop. On SQLite `BulkInsert` sends the statement text,
built once per row count, with one flat parameter list to the sqlite3 cursor of the caller's
connection, inside its transaction. Other backends get the ordinary Core insert (their
drivers' batching is SQLAlchemy's "insertmanyvalues").

The statement is not seen by `before_cursor_execute` listeners on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Dialect

#: SQLite's limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER since 3.32)
SQLITE_MAX_PARAMETERS = 32_766


class BulkInsert:
    """`INSERT INTO table (columns) VALUES … RETURNING returning` for many rows at once.

    Rows are tuples in `columns` order; the result is the returned tuples, in no promised
    order (match them back by a unique key). Values pass the columns' bind processing (a
    `TypeDecorator` such as `UTCDateTime` still applies).
    """

    def __init__(self, table: Table, columns: Sequence[str], returning: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(table.c[name] for name in columns)
        self.returning = tuple(table.c[name] for name in returning)
        self._core = insert(table).returning(*self.returning)
        self._texts: dict[int, str] = {}
        self._processors: list[tuple[int, Callable[[Any], Any]]] | None = None

    def __call__(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not rows:
            return []
        if conn.dialect.name != "sqlite":
            names = [column.key for column in self.columns]
            params = [dict(zip(names, row, strict=True)) for row in rows]
            return [tuple(row) for row in conn.execute(self._core, params)]
        raw = conn.connection.driver_connection
        assert raw is not None
        processors = self._bind_processors(conn.dialect)
        per_statement = SQLITE_MAX_PARAMETERS // len(self.columns)
        out: list[tuple[Any, ...]] = []
        cursor = raw.cursor()
        try:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                flat: list[Any] = []
                for row in chunk:
                    if processors:
                        values = list(row)
                        for index, process in processors:
                            values[index] = process(values[index])
                        flat.extend(values)
                    else:
                        flat.extend(row)
                cursor.execute(self._text(len(chunk), conn.dialect), flat)
                out.extend(cursor.fetchall())
        finally:
            cursor.close()
        return out

    def _bind_processors(self, dialect: Dialect) -> list[tuple[int, Callable[[Any], Any]]]:
        if self._processors is None:
            found: list[tuple[int, Callable[[Any], Any]]] = []
            for index, column in enumerate(self.columns):
                process = column.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    found.append((index, process))
            self._processors = found
            return found
        return self._processors

    def _text(self, count: int, dialect: Dialect) -> str:
        text = self._texts.get(count)
        if text is None:
            quote = dialect.identifier_preparer.quote
            names = ", ".join(quote(column.name) for column in self.columns)
            one = "(" + ", ".join("?" for _ in self.columns) + ")"
            back = ", ".join(quote(column.name) for column in self.returning)
            table = dialect.identifier_preparer.format_table(self.table)
            values = ", ".join([one] * count)
            text = f"INSERT INTO {table} ({names}) VALUES {values} RETURNING {back}"  # noqa: S608
            if len(self._texts) < 64:  # batch sizes vary; keep the common ones
                self._texts[count] = text
        return text
