"""The Redis bus: pub/sub with one channel per room, so a process decodes only its rooms.

A gateway subscribes to the channel of a room when the room gets its first local subscriber
and unsubscribes when the last one leaves; events that belong to no room (presence, call
signals: rare) go on one shared channel. `watch` waits for Redis to confirm the
subscription, so the hub reads the room's last seq only once every later event is coming.

A change of send restrictions (`Event.changes_rules`: slow mode, a mute, a role change; rare)
goes on the shared channel too, so every process forgets what it cached of them, also one
that serves HTTP sends to a room it has no subscriber for. One subscriber connection gets
both channels in the order they were published, so the room's subscribers still see its
events in order.

One task owns the subscriber connection: it applies subscription changes and reads
messages, so no two coroutines ever read the same socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from parley.core.config import Settings
from parley.core.redis import REDIS_ERRORS
from parley.realtime.bus_remote import RemoteBus, sleep_backoff
from parley.realtime.events import RoomEvent

log = logging.getLogger("parley.realtime.bus")
SEPARATOR = b" "
WATCH_CONFIRM_SECONDS = 2.0
POLL_SECONDS = 0.05


class RedisBus(RemoteBus):
    def __init__(self, settings: Settings, client: Redis, *, consume: bool) -> None:
        super().__init__(settings, consume=consume)
        self._client = client
        self._prefix = f"{settings.cluster_prefix}:ev:"
        self._broadcast = self._prefix.encode() + b"all"
        #: channel -> True to subscribe, False to unsubscribe, applied by the receiver task
        self._changes: dict[bytes, bool] = {}
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}

    def channel(self, room_id: int | None) -> bytes:
        if room_id is None:
            return self._broadcast
        return f"{self._prefix}r:{room_id}".encode()

    def channel_of(self, event: RoomEvent) -> bytes:
        """The room's channel; the shared one for what every process must hear."""
        return self._broadcast if event.changes_rules else self.channel(event.room_id)

    async def _open(self) -> None:
        return None  # connections are made on first use; Redis may come up after us

    async def _send(self, events: list[RoomEvent]) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self.channel_of(event), self.origin + SEPARATOR + event.to_wire())
            await pipe.execute()

    async def watch(self, room_id: int) -> None:
        self.watched.add(room_id)
        if not self.consume:
            return
        channel = self.channel(room_id)
        self._changes[channel] = True
        if not self.connected:
            return  # subscribed on reconnect, and the resync then reads what was missed
        confirmed = self._confirmations.get(channel)
        if confirmed is None:
            confirmed = self._confirmations[channel] = asyncio.get_running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(confirmed), WATCH_CONFIRM_SECONDS)

    def unwatch(self, room_id: int) -> None:
        self.watched.discard(room_id)
        if self.consume:
            self._changes[self.channel(room_id)] = False

    async def ping(self) -> None:
        await self._client.ping()
        if self.consume and not self.connected:
            raise ConnectionError("not subscribed to the Redis bus")

    async def _close(self) -> None:
        for future in self._confirmations.values():
            future.cancel()

    async def _receive_loop(self) -> None:
        attempt = 0
        first = True
        while True:
            pubsub = self._client.pubsub()
            try:
                channels = [self._broadcast, *(self.channel(r) for r in self.watched)]
                self._changes.clear()
                await pubsub.subscribe(*channels)
                self.connected = True
                attempt = 0
                if not first:
                    self._reconnected()
                first = False
                await self._read(pubsub)
            except REDIS_ERRORS as exc:
                if self.connected:
                    log.warning("redis bus disconnected", extra={"error": repr(exc)})
                self.connected = False
                await sleep_backoff(attempt)
                attempt += 1
            finally:
                self.connected = False
                with contextlib.suppress(*REDIS_ERRORS):
                    await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]

    async def _read(self, pubsub: PubSub) -> None:
        while True:
            if self._changes:
                changes, self._changes = self._changes, {}
                wanted = [c for c, on in changes.items() if on]
                unwanted = [c for c, on in changes.items() if not on]
                if wanted:
                    await pubsub.subscribe(*wanted)
                if unwanted:
                    await pubsub.unsubscribe(*unwanted)
            message = await pubsub.get_message(timeout=POLL_SECONDS)
            while message is not None:
                self._handle(message)
                message = await pubsub.get_message(timeout=0)

    def _handle(self, message: dict[str, object]) -> None:
        kind = message.get("type")
        data = message.get("data")
        if kind == "message" and isinstance(data, bytes):
            origin, _, payload = data.partition(SEPARATOR)
            self._received(origin, payload)
        elif kind == "subscribe":
            channel = message.get("channel")
            future = self._confirmations.pop(channel, None) if isinstance(channel, bytes) else None
            if future is not None and not future.done():
                future.set_result(None)
