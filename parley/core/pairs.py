"""Lookups by a list of key pairs, `(a, b) IN :pairs`, answered from the index on every backend.

SQLite plans a row-value IN over a list (`(a, b) IN (VALUES (?, ?), ...)`, what SQLAlchemy
renders) as a scan of the whole table, probing the list for each row: the message writer's
idempotency check read every stored message once per batch, so each batch cost more the
longer the server ran (12 ms per batch of 10 at 54,000 messages). PostgreSQL and MariaDB use
the unique index for the same clause. On SQLite the pairs therefore arrive as one JSON
parameter, a `json_each` table joined on the two columns, from which the planner drives the
index search; its text is compiled once and run below SQLAlchemy (`RawStatement`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Executable, bindparam, func, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute

from parley.core.bulk import RawStatement

#: narrows a SELECT to the rows whose (a, b) is one of the pairs (typed loosely: a Select's
#: type parameters are its columns)
Restrict = Callable[[Any], Any]


class PairLookup:
    """One statement in two forms, both built once, picked by the dialect at execution.

    `build(restrict)` makes the statement; `restrict(select)` narrows a SELECT whose FROM
    has the columns `a` and `b` to the given pairs (a WHERE on most backends, a join on
    SQLite).
    """

    def __init__(
        self,
        name: str,
        a: ColumnElement[Any] | InstrumentedAttribute[Any],
        b: ColumnElement[Any] | InstrumentedAttribute[Any],
        build: Callable[[Restrict], Executable],
    ) -> None:
        self.name = name
        listed = tuple_(a, b).in_(bindparam(name, expanding=True))
        self._generic = build(lambda select: select.where(listed))
        keys = func.json_each(bindparam(name)).table_valued("value").alias(f"{name}_each")
        first = func.json_extract(keys.c.value, "$[0]")
        second = func.json_extract(keys.c.value, "$[1]")
        self._sqlite = RawStatement(
            build(lambda select: select.select_from(keys).where(a == first, b == second))
        )

    def execute(
        self,
        conn: Connection,
        pairs: Iterable[tuple[Any, Any]],
        params: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """The rows (typed loosely, as `Restrict`)."""
        values = sorted(set(pairs))
        if conn.dialect.name == "sqlite":
            encoded = orjson.dumps(values).decode()
            return self._sqlite.rows(conn, {**(params or {}), self.name: encoded})
        return list(conn.execute(self._generic, {**(params or {}), self.name: values}))
