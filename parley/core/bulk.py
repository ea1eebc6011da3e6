"""Many-row statements for the write paths' batches, below SQLAlchemy on SQLite.

Storing a batch of a few hundred messages through `conn.execute(insert(...), rows)` spent
more CPU in SQLAlchemy (a dict and a bind-processor call per parameter, the compiled-cache
lookup, the result wrapping) than SQLite spent storing the rows, and it ran in the batch
thread, taking the GIL from the event loop; the search indexer's postings (a row per
bigram of every message) likewise. On SQLite `BulkInsert` sends the statement text, built
once per row count, with one flat parameter list to the sqlite3 cursor of the caller's
connection, inside its transaction, and `BulkExecute` runs a compiled statement (an upsert)
through the cursor's `executemany`. Other backends get the ordinary Core execution (their
drivers' batching is SQLAlchemy's "insertmanyvalues").

These statements are not seen by `before_cursor_execute` listeners on SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Table, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.dml import Insert

#: SQLite's limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER since 3.32)
SQLITE_MAX_PARAMETERS = 32_766


_UNSET = object()
_REQUIRED = object()


def sqlite3_of(conn: Connection) -> sqlite3.Connection | None:
    """The sqlite3 connection under `conn`, or None: another backend, or SQLite through the
    async driver (`run_sync` on aiosqlite), whose cursor is not this thread's to use."""
    if conn.dialect.name != "sqlite":
        return None
    raw = conn.connection.driver_connection
    return raw if isinstance(raw, sqlite3.Connection) else None


class BulkInsert:
    """`INSERT INTO table (columns) VALUES … RETURNING returning` for many rows at once.

    Rows are tuples in `columns` order; the result is the returned tuples, in no promised
    order (match them back by a unique key). Values pass the columns' bind processing (a
    `TypeDecorator` such as `UTCDateTime` still applies).
    """

    def __init__(self, table: Table, columns: Sequence[str], returning: Sequence[str] = ()) -> None:
        self.table = table
        self.columns = tuple(table.c[name] for name in columns)
        self.returning = tuple(table.c[name] for name in returning)
        self._core = insert(table).returning(*self.returning) if returning else insert(table)
        self._texts: dict[int, str] = {}
        self._processors: list[tuple[int, Callable[[Any], Any]]] | None = None

    def __call__(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not rows:
            return []
        raw = sqlite3_of(conn)
        if raw is None:
            names = [column.key for column in self.columns]
            params = [dict(zip(names, row, strict=True)) for row in rows]
            result = conn.execute(self._core, params)
            return [tuple(row) for row in result] if self.returning else []
        processors = self._bind_processors(conn.dialect)
        per_statement = SQLITE_MAX_PARAMETERS // len(self.columns)
        out: list[tuple[Any, ...]] = []
        cursor = raw.cursor()
        try:
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                flat: list[Any] = []
                if processors:
                    # a batch's rows share values (one `now` for all): process each once
                    seen: list[tuple[Any, Any]] = [(_UNSET, None)] * len(processors)
                    for row in chunk:
                        values = list(row)
                        for slot, (index, process) in enumerate(processors):
                            value = values[index]
                            last_in, last_out = seen[slot]
                            if value is not last_in:
                                last_out = process(value)
                                seen[slot] = (value, last_out)
                            values[index] = last_out
                        flat.extend(values)
                else:
                    for row in chunk:
                        flat.extend(row)
                cursor.execute(self._text(len(chunk), conn.dialect), flat)
                if self.returning:
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
            text = f"INSERT INTO {table} ({names}) VALUES {values}"  # noqa: S608
            if back:
                text += f" RETURNING {back}"
            if len(self._texts) < 64:  # batch sizes vary; keep the common ones
                self._texts[count] = text
        return text


class BulkExecute:
    """`conn.execute(statement, rows)` for an INSERT of every column of its table (an upsert,
    say), rows as tuples in the table's column order; on SQLite compiled once and run by the
    sqlite3 cursor's `executemany`. Only for columns without bind processing (integers,
    text): checked when first compiled."""

    def __init__(self, statement: Insert) -> None:
        self.statement = statement
        self._names = [column.key for column in statement.table.columns]
        self._compiled: tuple[str, list[int]] | None = None

    def __call__(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        raw = sqlite3_of(conn)
        if raw is None:
            conn.execute(self.statement, [dict(zip(self._names, row, strict=True)) for row in rows])
            return
        text, order = self._compile(conn.dialect)
        cursor = raw.cursor()
        try:
            cursor.executemany(text, [tuple(row[i] for i in order) for row in rows])
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> tuple[str, list[int]]:
        if self._compiled is None:
            compiled: Compiled = self.statement.compile(dialect=dialect)
            positions = list(compiled.positiontup or ())  # type: ignore[attr-defined]
            for name in positions:
                column = self.statement.table.c[name]
                if column.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                    raise TypeError(f"{name}: a column with bind processing")
            self._compiled = (compiled.string, [self._names.index(name) for name in positions])
        return self._compiled


class RawStatement:
    """A Core statement with named (not expanding) parameters; on SQLite its text is compiled
    once and run by the sqlite3 cursor of the caller's connection, elsewhere `conn.execute`.

    A batch's lookups are a few rows each, so on SQLite SQLAlchemy's execution (the cache-key
    walk, the event hooks, the result wrapping: about 20 µs a statement) cost more than the
    lookup. Parameters and result columns keep their types' processing. Rows are tuples.
    A statement with an expanding parameter (`IN :list`) still goes through SQLAlchemy.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        raw = sqlite3_of(conn)
        if raw is None or self._compile(conn.dialect).expanding:  # `IN :list`: rendered per call
            return [tuple(row) for row in conn.execute(self.statement, dict(params))]
        compiled = self._compile(conn.dialect)
        cursor = raw.cursor()
        try:
            cursor.execute(compiled.text, compiled.values(params))
            found: list[tuple[Any, ...]] = cursor.fetchall()
        finally:
            cursor.close()
        if compiled.results:
            return [compiled.process_row(row) for row in found]
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        if self._compiled is None:
            self._compiled = _Compiled(self.statement, dialect)
        return self._compiled


class _Compiled:
    """A statement's SQLite text, its parameters in order (with the literals' values and the
    types' bind processing) and its result columns' processing."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled: Compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        prefetched = [*compiled.insert_prefetch, *compiled.update_prefetch]  # type: ignore[attr-defined]
        if prefetched:  # a Python-side default (`onupdate=utcnow`) would be sent as NULL
            names = ", ".join(column.key for column in prefetched)
            raise TypeError(f"{names}: give the value, a Python-side default is not run here")
        self.text = compiled.string
        self.binds: list[tuple[str, Any, Callable[[Any], Any] | None]] = []
        self.expanding = False
        for name in compiled.positiontup or ():  # type: ignore[attr-defined]
            bind = compiled.binds[name]  # type: ignore[attr-defined]
            self.expanding = self.expanding or bind.expanding
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            # a value the caller must give has no default: a missing one is a KeyError
            default = _REQUIRED if bind.required else bind.effective_value
            self.binds.append((bind.key, default, process))
        columns = getattr(statement, "exported_columns", ())
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        if not any(self.results):
            self.results = []

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for key, default, process in self.binds:
            value = params[key] if default is _REQUIRED else params.get(key, default)
            out.append(value if process is None else process(value))
        return out

    def process_row(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            value if process is None else process(value)
            for value, process in zip(row, self.results, strict=True)
        )
