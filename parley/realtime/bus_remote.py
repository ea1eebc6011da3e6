"""What the Redis and Kafka buses share: local delivery first, a bounded outgoing queue, an
origin tag so a process ignores its own echoes, and a resync after the bus lost events.

Local first: this process's subscribers get an event straight from the publisher, without a
round trip through the bus, and still get it while the bus is down. Every event on the bus
carries the publishing process's origin id, and a process drops events of its own origin
when they come back, so nothing is delivered twice locally. Across processes the hub orders
messages by seq and drops duplicates, so a producer retry never shows twice either.

Losing events is what a bus outage does (Redis pub/sub keeps nothing; a Kafka broker that
restarts empty keeps nothing). Messages are in the database: after a reconnect the bus calls
`resync`, and the owner reads every open room's missed messages back (`Realtime.catch_up`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from parley.core.config import Settings
from parley.realtime.bus import EventSink, Resync
from parley.realtime.events import RoomEvent

log = logging.getLogger("parley.realtime.bus")
T = TypeVar("T")

#: events waiting for the bus; beyond this the oldest are dropped (catch-up recovers messages)
OUTGOING_LIMIT = 50_000
SEND_BATCH = 500
#: marks an event that belongs to no single room (presence, call signals)
NO_ROOM = "*"


class RemoteBus(ABC):
    """An `EventBus` over a broker; subclasses provide the transport."""

    def __init__(self, settings: Settings, *, consume: bool) -> None:
        self.settings = settings
        #: api processes publish only; gateways (and `all`) also receive
        self.consume = consume
        self.origin = os.urandom(8).hex().encode()
        self.resync: Resync | None = None
        self.watched: set[int] = set()
        self.timeout = settings.bus_publish_timeout_seconds
        self._sink: EventSink | None = None
        self._outgoing: deque[RoomEvent] = deque()
        self._has_outgoing = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = False
        # counters for /metrics
        self.published = 0
        self.received = 0
        self.publish_errors = 0
        self.dropped = 0

    # -- the EventBus interface -------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        await self._open()
        self._spawn(self._send_loop(), "bus-sender")
        if self.consume:
            self._spawn(self._receive_loop(), "bus-receiver")

    async def publish(self, event: RoomEvent) -> None:
        try:
            await bounded(self._send([event]), self.timeout)
        except Exception:
            self.publish_errors += 1
            raise
        self.published += 1
        self._deliver_locally(event)

    async def publish_many(self, events: list[RoomEvent]) -> None:
        if not events:
            return
        try:
            await bounded(self._send(events), self.timeout)
        except Exception:
            self.publish_errors += 1
            raise
        self.published += len(events)
        for event in events:
            self._deliver_locally(event)

    def post(self, event: RoomEvent) -> None:
        self._deliver_locally(event)
        self._outgoing.append(event)
        if len(self._outgoing) > OUTGOING_LIMIT:
            self._outgoing.popleft()
            self.dropped += 1
        self._has_outgoing.set()

    async def watch(self, room_id: int) -> None:
        self.watched.add(room_id)

    def unwatch(self, room_id: int) -> None:
        self.watched.discard(room_id)

    async def close(self) -> None:
        await self.flush(1.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._close()

    # -- for subclasses ---------------------------------------------------------------------

    @abstractmethod
    async def _open(self) -> None:
        """Prepare the publishing side (connect lazily: the broker may be down at start)."""

    @abstractmethod
    async def _send(self, events: list[RoomEvent]) -> None:
        """Hand events to the broker, in order; raise if it did not take them all."""

    @abstractmethod
    async def _receive_loop(self) -> None:
        """Receive until cancelled, reconnecting; call `_received` and `_reconnected`."""

    @abstractmethod
    async def _close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None: ...

    def _received(self, origin: bytes, data: bytes) -> None:
        """An event from the bus: ours already went out locally; others go to the hub."""
        if origin == self.origin or self._sink is None:
            return
        try:
            event = RoomEvent.from_wire(data)
        except Exception:  # a foreign or corrupt record must not stop the receiver
            log.warning("undecodable bus event dropped", extra={"size": len(data)})
            return
        self.received += 1
        self._sink(event)

    def _reconnected(self) -> None:
        """The receiving side is back after an outage: whatever went by meanwhile is lost."""
        log.info("bus reconnected: catching up from the database")
        if self.resync is not None:
            self.resync()

    @staticmethod
    def room_key(event: RoomEvent) -> str:
        return NO_ROOM if event.room_id is None else str(event.room_id)

    # -- internals --------------------------------------------------------------------------

    def _deliver_locally(self, event: RoomEvent) -> None:
        if self._sink is not None:
            self._sink(event)

    async def _send_loop(self) -> None:
        """Drain `post`ed events in order; on failure keep them and retry with backoff."""
        backoff = 0.1
        while True:
            await self._has_outgoing.wait()
            batch = [self._outgoing.popleft() for _ in range(min(SEND_BATCH, len(self._outgoing)))]
            if not self._outgoing:
                self._has_outgoing.clear()
            if not batch:
                continue
            try:
                await bounded(self._send(batch), self.timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.publish_errors += 1
                log.warning("bus publish failed; will retry", extra={"error": repr(exc)})
                self._outgoing.extendleft(reversed(batch))
                while len(self._outgoing) > OUTGOING_LIMIT:
                    self._outgoing.popleft()
                    self.dropped += 1
                self._has_outgoing.set()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.1
            self.published += len(batch)

    async def flush(self, seconds: float) -> None:
        """Give queued events a moment to go out (shutdown)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self._outgoing and loop.time() < deadline:  # noqa: ASYNC110 - bounded poll
            await asyncio.sleep(0.02)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    @property
    def backlog(self) -> int:
        return len(self._outgoing)


async def bounded(awaitable: Awaitable[T], seconds: float) -> T:
    """Like `asyncio.wait_for`, but on timeout it does not wait for the cancelled work to
    finish: broker clients may take their time to notice a cancellation, and a caller's
    reconnect loop must not stall behind them."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        raise TimeoutError(f"no answer within {seconds} s")
    return task.result()


async def sleep_backoff(attempt: int) -> None:
    """Reconnect pacing: 0.1 s doubling to 2 s."""
    await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
