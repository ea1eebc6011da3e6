"""What search needs from a sibling domain (files), injected by `parley.flows.install()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

MessageIdColumn = ColumnElement[int] | InstrumentedAttribute[int]


def _not_assembled(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("parley.search is not assembled: call parley.flows.install() first")


@dataclass
class SearchHooks:
    #: a clause: the message `message_id` carries at least one file
    has_file: Callable[[MessageIdColumn], ColumnElement[bool]] = _not_assembled


hooks = SearchHooks()
