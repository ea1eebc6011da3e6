"""The event bus between the processes that write events and those that deliver them.

`memory` (the embedded default) hands events straight to this process's hub. The Redis and
Kafka adapters (`bus_redis`, `bus_kafka`, on the shared `bus_remote.RemoteBus`) implement the
same interface for several processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from parley.realtime.events import RoomEvent

EventSink = Callable[[RoomEvent], None]
#: called after the bus lost events (a reconnect): the owner reads what it missed from the DB
Resync = Callable[[], None]


class EventBus(Protocol):
    async def start(self, sink: EventSink) -> None:
        """Begin delivering published events to `sink` (this process's hub)."""
        ...

    async def publish(self, event: RoomEvent) -> None:
        """Publish after commit and wait until the bus has it; raises if it could not."""
        ...

    async def publish_many(self, events: list[RoomEvent]) -> None:
        """Publish a batch in order as one round trip (the outbox relay); raises if the bus
        did not take them all."""
        ...

    def post(self, event: RoomEvent) -> None:
        """Publish without waiting (messages, typing, presence): this process's subscribers
        get it at once, other processes as soon as the bus takes it. An event the bus loses
        is either harmless (typing) or durable in the database, where catch-up finds it."""
        ...

    async def watch(self, room_id: int) -> None:
        """From when this returns, the room's events reach the sink (a local subscriber)."""
        ...

    def unwatch(self, room_id: int) -> None:
        """No local subscriber is left: stop receiving the room's events."""
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
        self.post(event)

    async def publish_many(self, events: list[RoomEvent]) -> None:
        for event in events:
            self.post(event)

    def post(self, event: RoomEvent) -> None:
        if self._sink is not None:
            self._sink(event)

    async def watch(self, room_id: int) -> None:
        return None

    def unwatch(self, room_id: int) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._sink = None
