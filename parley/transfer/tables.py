"""Which tables an export carries, and how their values become JSON and back."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.types import Date, DateTime, LargeBinary

from parley.models import Base

#: Tables rebuilt from the others or holding only in-flight state: never exported.
#: The outbox holds events already delivered or about to be, its lease a relay's claim; the
#: search index (grams and the queue) is rebuilt from the messages: the database's triggers
#: queue every imported message. So is any table whose `info` says `{"parley_derived": True}`.
DERIVED: frozenset[str] = frozenset(
    {"outbox", "outbox_lease", "search_grams", "search_gram_counts", "search_pending"}
)


def is_derived(table: Table) -> bool:
    return table.name in DERIVED or bool(table.info.get("parley_derived"))


def carried_tables() -> list[Table]:
    """Every table an export carries, parents before children (foreign-key order)."""
    return [table for table in Base.metadata.sorted_tables if not is_derived(table)]


def _encode_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    raise TypeError(f"cannot export a value of type {type(value).__name__}")


def encode_default() -> Callable[[Any], Any]:
    """orjson's `default` for what it does not encode itself (bytes)."""
    return _encode_default


def _identity(value: Any) -> Any:
    return value


def _to_datetime(value: Any) -> Any:
    return None if value is None else datetime.fromisoformat(value)


def _to_date(value: Any) -> Any:
    return None if value is None else date.fromisoformat(value)


def _to_bytes(value: Any) -> Any:
    return None if value is None else base64.b64decode(value["$b64"])


def decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """The function turning an exported JSON value back into the column's Python value."""
    kind = column.type
    impl = getattr(kind, "impl", kind)  # a TypeDecorator (UTCDateTime) decorates its impl
    if isinstance(kind, DateTime) or isinstance(impl, DateTime):
        return _to_datetime
    if isinstance(kind, Date) or isinstance(impl, Date):
        return _to_date
    if isinstance(kind, LargeBinary) or isinstance(impl, LargeBinary):
        return _to_bytes
    return _identity
