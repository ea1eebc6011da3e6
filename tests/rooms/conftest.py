"""Fixtures of the room tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from parley.core.events import Event
from parley.core.outbox import OutboxEvent


class CommittedFrames:
    """Outbox frames of committed transactions, seen as they are written.

    Reading the `outbox` table would race with the relay, which publishes and deletes rows
    as soon as they commit; watching flushes and commits does not.
    """

    def __init__(self) -> None:
        self.frames: list[tuple[int | None, dict[str, Any]]] = []
        self._pending: dict[int, list[tuple[int | None, dict[str, Any]]]] = {}

    def after_flush(self, session: Session, _context: UOWTransaction) -> None:
        for obj in session.new:
            if isinstance(obj, OutboxEvent):
                frame = orjson.loads(Event.from_wire(obj.payload).payload)
                self._pending.setdefault(id(session), []).append((obj.room_id, frame))

    def after_commit(self, session: Session) -> None:
        self.frames.extend(self._pending.pop(id(session), []))

    def after_rollback(self, session: Session) -> None:
        self._pending.pop(id(session), None)

    def of(self, room_id: int) -> list[dict[str, Any]]:
        return [frame for rid, frame in self.frames if rid == room_id]


@pytest.fixture
def frames() -> Iterator[CommittedFrames]:
    recorder = CommittedFrames()
    hooks: dict[str, Callable[..., None]] = {
        "after_flush": recorder.after_flush,
        "after_commit": recorder.after_commit,
        "after_rollback": recorder.after_rollback,
    }
    for name, hook in hooks.items():
        event.listen(Session, name, hook)
    try:
        yield recorder
    finally:
        for name, hook in hooks.items():
            event.remove(Session, name, hook)
