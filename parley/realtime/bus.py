"""The event bus between the processes that write events and those that deliver them.

`memory` (the embedded default) hands events straight to this process's hub. Redis and Kafka
adapters implement the same interface for several processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from parley.realtime.events import RoomEvent

EventSink = Callable[[RoomEvent], None]


class EventBus(Protocol):
    async def start(self, sink: EventSink) -> None:
        """Begin delivering every published event to `sink` (this process's hub)."""
        ...

    async def publish(self, event: RoomEvent) -> None:
        """Publish after commit; raises if the event could not be handed to the bus."""
        ...

    async def ping(self) -> None:
        """Raise if the bus is unreachable (readiness)."""
        ...

    async def close(self) -> None: ...


class MemoryBus:
    """In-process: publishing is delivering."""

    def __init__(self) -> None:
        self._sink: EventSink | None = None

    async def start(self, sink: EventSink) -> None:
        self._sink = sink

    async def publish(self, event: RoomEvent) -> None:
        if self._sink is not None:
            self._sink(event)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._sink = None
