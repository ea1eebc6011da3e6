"""The real-time service of one process: bus, hub, message writer, presence, relay, limits.

Gateways and HTTP routes both go through it, so a message sent over HTTP follows exactly the
path (rules, ack, publication) of one sent over WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from parley.chat.api import Ack, MessageWriter, Send, SendRejected, read_timeline
from parley.core.config import Settings
from parley.core.events import message_event
from parley.core.runtime import Runtime
from parley.core.text import clean_body
from parley.flows.api import CommandDone, SendPath
from parley.integrations.api import Dispatcher
from parley.notify.api import PushDispatcher
from parley.realtime.bus import EventBus
from parley.realtime.bus_remote import RemoteBus
from parley.realtime.cluster import build_components
from parley.realtime.connection import cork_this_turn
from parley.realtime.events import RoomEvent, event_from_frame
from parley.realtime.hub import Hub
from parley.realtime.metrics import register_metrics
from parley.realtime.moderation import ConnectionBudgets, SendRules
from parley.realtime.protocol import ServerPresence, ServerTyping, encode
from parley.realtime.relay import OutboxRelay
from parley.rooms.api import get_room, last_seqs, rooms_of_member
from parley.social.api import friend_ids

log = logging.getLogger("parley.realtime")
#: messages read back per room per catch-up round (a bigger gap takes several rounds)
CATCH_UP_BATCH = 500


class Realtime:
    def __init__(self, runtime: Runtime, bus: EventBus | None = None) -> None:
        self.runtime = runtime
        self.settings: Settings = runtime.settings
        parts = build_components(runtime, self._presence_changed)
        self.bus: EventBus = bus or parts.bus
        self.hub = Hub(self._load_last_seq, self._fetch_range)
        self.writer = MessageWriter(
            runtime.db,
            self._publish_frames,
            queue_max=self.settings.writer_queue_max,
            linger=self.settings.writer_linger_ms / 1000,
        )
        self.relay = OutboxRelay(runtime.db, self.publish_many)
        #: outgoing webhooks, fed with committed messages (never inside the writer's batch)
        self.integrations = Dispatcher(runtime)

        self.presence = parts.presence
        #: Web Push to members with no open socket, fed like the webhooks
        self.push = PushDispatcher(runtime, self.presence.online)
        self.tickets = parts.tickets
        self.send_limits = parts.send_limits
        self.call_limits = parts.call_limits
        self.read_limits = parts.read_limits
        self.connection_budgets = ConnectionBudgets(self.settings)
        self._typing_limits = parts.typing_throttle
        self._checks = parts.checks
        self._start_shared = parts.start
        self._tasks: set[asyncio.Task[None]] = set()
        self._catch_up_wanted = asyncio.Event()
        #: slow mode and mutes, checked before a send reaches the writer
        self.send_rules = SendRules(runtime, self.hears_every_rules_change)
        #: WebSocket and HTTP sends: slash commands, then the message path below
        self.send_path = SendPath(runtime, self, self.integrations)

    async def start(self) -> None:
        if isinstance(self.bus, RemoteBus):  # tell us when it lost events
            self.bus.resync = self._bus_lost_events
        await self.bus.start(self._on_event)
        self.writer.start()
        self.integrations.start()
        self.push.start()

        if self.settings.role != "gateway":  # the api side publishes the outbox
            self.relay.start()
        self._start_shared()
        if isinstance(self.bus, RemoteBus):
            self._spawn(self._maintain_subscriptions())
        self.runtime.readiness.update(self._checks)
        self.runtime.messaging = self
        register_metrics(self.runtime, self)

    async def stop(self) -> None:
        if self.runtime.messaging is self:
            self.runtime.messaging = None
        self.hub.close_all(1001, "server shutting down")
        await self.relay.stop()
        await self.writer.stop()
        await self.integrations.stop()
        await self.push.stop()

        self.presence.close()
        for task in list(self._tasks):
            task.cancel()
        await self.bus.close()

    # -- publishing -------------------------------------------------------------------------

    async def publish(self, event: RoomEvent) -> None:
        """Publish and wait for the bus; an unreachable bus is a `ConnectionError`."""
        try:
            await self.bus.publish(event)
        except ConnectionError:
            raise
        except Exception as exc:  # broker-specific errors: the caller only needs "retry"
            raise ConnectionError(f"event bus unavailable: {exc!r}") from exc

    async def publish_many(self, events: list[RoomEvent]) -> None:
        """Publish a batch in order as one bus round trip (the outbox relay)."""
        try:
            await self.bus.publish_many(events)
        except ConnectionError:
            raise
        except Exception as exc:
            raise ConnectionError(f"event bus unavailable: {exc!r}") from exc

    async def _publish_frames(self, frames: list[dict[str, Any]]) -> None:
        # committed messages: local subscribers at once, other processes via the bus (and
        # catch-up from the database if the bus loses them)
        cork_this_turn()  # one write per recipient, the senders' acks included
        for frame in frames:
            self.bus.post(message_event(frame))
        self.integrations.feed(frames)
        self.push.feed(frames)

    @property
    def retry_after_seconds(self) -> float:
        return 1.0 / self.settings.send_rate

    def publish_soon(self, event: RoomEvent) -> None:
        """Fire-and-forget publication (typing, presence): losing one is harmless."""
        self.bus.post(event)

    # -- sending ----------------------------------------------------------------------------

    def check_body(self, body: str) -> str:
        """The body cleaned, or SendRejected: the same rules for WS and HTTP (the field types
        themselves are checked by `parley.core.fields`, shared by both)."""
        limit = self.settings.message_max_chars
        if len(body) > limit * 4:
            raise SendRejected("body_too_long", f"body is longer than {limit} characters")
        cleaned = clean_body(body)
        if not cleaned:
            raise SendRejected("empty_body", "body is empty")
        if len(cleaned) > limit:
            raise SendRejected("body_too_long", f"body is longer than {limit} characters")
        return cleaned

    async def check_send_rate(self, member_id: int) -> None:
        """The member's send budget, shared by every process when Redis is configured."""
        wait = await self.send_limits.take(str(member_id))
        if wait:
            raise SendRejected("rate_limited", f"sending too fast; retry in {wait:.2f} s")

    def forget_room_rules(self, room_id: int, member_id: int | None = None) -> None:
        self.send_rules.forget(room_id, member_id)

    def _on_event(self, event: RoomEvent) -> None:
        """The bus sink: a change of send restrictions reaches this process's cache first.
        It names its members (`rules_of`), or they are the frame's audience, or everyone in
        the room (slow mode); the bus brings it to every process, room open or not."""
        if event.changes_rules and event.room_id is not None:
            members = event.rules_of or event.audience
            for member_id in members if members is not None else (None,):
                self.send_rules.forget(event.room_id, member_id)
        self.hub.dispatch(event)

    def _bus_lost_events(self) -> None:
        """The bus reconnected: changes of send restrictions may have gone by unheard."""
        self.send_rules.forget_all()
        self._catch_up_wanted.set()

    def hears_every_rules_change(self) -> bool:
        """Whether every committed change of send restrictions reaches `_on_event` here: in
        one process always; over a bus only while consuming it (an api process does not)."""
        bus = self.bus
        return not isinstance(bus, RemoteBus) or (bus.consume and bus.connected)

    async def check_room_rules(self, member_id: int, room_id: int) -> None:
        """`muted` or `slow_mode` (SendRejected) before the writer sees a send."""
        await self.send_rules.check(member_id, room_id)

    def submit(
        self,
        member_id: int,
        room_id: int,
        client_msg_id: str,
        body: str,
        to: int | None = None,
        attachments: tuple[int, ...] = (),
        reply_to: int | None = None,
        meta: str | None = None,
    ) -> asyncio.Future[Ack]:
        """Queue a validated, rate-checked send; the future resolves after commit."""
        if to == member_id:
            raise SendRejected("invalid_target", "cannot whisper to yourself")
        send = Send(member_id, room_id, client_msg_id, body, to, attachments, reply_to, meta)
        return self.writer.submit(send)

    async def send(
        self,
        member_id: int,
        room_id: int,
        client_msg_id: str,
        body: str,
        to: int | None = None,
        attachments: tuple[int, ...] = (),
        reply_to: int | None = None,
    ) -> asyncio.Future[Ack] | CommandDone:
        """A send from a client (WebSocket or HTTP): `parley.flows.commands.SendPath`."""
        result = await self.send_path.send(
            member_id, room_id, client_msg_id, body, to, attachments, reply_to
        )
        assert isinstance(result, asyncio.Future | CommandDone)
        return result

    # -- typing, read markers, presence -----------------------------------------------------

    def typing(self, member_id: int, room_id: int) -> None:
        self._spawn(self._typing(member_id, room_id))

    async def _typing(self, member_id: int, room_id: int) -> None:
        if not await self._typing_limits.allow(f"{member_id}:{room_id}"):
            return  # throttled: clients keep showing the last one until it expires
        frame = encode(ServerTyping(room_id, member_id))
        self.publish_soon(RoomEvent(room_id, frame, exclude_member=member_id))

    def read_marker(self, member_id: int, room_id: int, seq: int) -> None:
        """Nothing to do: `chat.mark_read` emits a `read` event with the marker's change, and
        only when it moved (kept while callers still call it)."""

    def _presence_changed(self, member_id: int, status: str) -> None:
        self._spawn(self._announce_presence(member_id, status))

    async def _announce_presence(self, member_id: int, status: str) -> None:
        """To the member's rooms, and to their friends even without a shared room (a friend
        in a shared room may hear it twice; the frame is idempotent)."""
        async with self.runtime.db.read_sessions() as session:
            rooms = await rooms_of_member(session, member_id)
            friends = await friend_ids(session, member_id)
        payload = encode(ServerPresence(member_id, "online" if status == "online" else "offline"))
        if rooms:  # the member's own connections are not told about themselves
            room_ids = tuple(r for r, _ in rooms)
            self.publish_soon(RoomEvent(None, payload, room_ids=room_ids, exclude_member=member_id))
        if friends:
            self.publish_soon(RoomEvent(None, payload, audience=frozenset(friends)))

    # -- hub callbacks ----------------------------------------------------------------------

    async def _load_last_seq(self, room_id: int) -> int:
        # subscribe to the room's events first: whatever commits after the read below is
        # then on its way to the hub, whatever committed before is in the database
        await self.bus.watch(room_id)
        async with self.runtime.db.read_sessions() as session:
            room = await get_room(session, room_id)
            return room.last_seq if room is not None else 0

    async def _fetch_range(self, room_id: int, after: int, before: int) -> list[RoomEvent]:
        async with self.runtime.db.read_sessions() as session:
            # new messages and changes to them (`message_update`), in seq order
            frames = await read_timeline(
                session, room_id, None, after_seq=after, before_seq=before, limit=before - after
            )
        return [event_from_frame(room_id, frame) for frame in frames]

    # -- several processes: bus subscriptions and catch-up ------------------------------------

    async def _maintain_subscriptions(self) -> None:
        """Drop bus subscriptions of rooms the hub closed; catch up after a bus outage, and
        now and then anyway (an event the bus lost with no outage noticed, e.g. a publisher
        killed between commit and publish)."""
        assert isinstance(self.bus, RemoteBus)
        interval = self.settings.catchup_interval_seconds
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + interval if interval else float("inf")
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._catch_up_wanted.wait()
            for room_id in self.bus.watched - self.hub.channels.keys():
                self.bus.unwatch(room_id)
            if self._catch_up_wanted.is_set() or loop.time() >= next_sweep:
                self._catch_up_wanted.clear()
                next_sweep = loop.time() + interval if interval else float("inf")
                try:
                    await self.catch_up()
                except Exception as exc:
                    log.warning("catch-up failed; will retry", extra={"error": repr(exc)})
                    self._catch_up_wanted.set()
                    await asyncio.sleep(1.0)

    async def catch_up(self) -> int:
        """Feed the hub every committed message its open rooms have not seen; returns how
        many. The hub drops what it already delivered, so this is always safe."""
        known = {
            room_id: channel.last_seq
            for room_id, channel in self.hub.channels.items()
            if channel.last_seq is not None
        }
        if not known:
            return 0
        async with self.runtime.db.read_sessions() as session:
            current = await last_seqs(session, list(known))
        behind = {r: s for r, s in current.items() if s > (known[r] or 0)}
        fed = 0
        for room_id, last in behind.items():
            after = known[room_id] or 0
            events = await self._fetch_range(room_id, after, min(last, after + CATCH_UP_BATCH) + 1)
            for event in events:
                self.hub.dispatch(event)
            fed += len(events)
        if fed:
            log.info("caught up from the database", extra={"messages": fed})
        return fed

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def realtime_of(runtime: Runtime) -> Realtime:
    """This process's real-time service (the gateway and realtime's own routes)."""
    service = runtime.messaging
    if not isinstance(service, Realtime):
        raise RuntimeError("the real-time service is not running in this process")
    return service


async def start_realtime(runtime: Runtime) -> Realtime:
    service = Realtime(runtime)
    await service.start()
    return service


async def stop_realtime(runtime: Runtime) -> None:
    if isinstance(runtime.messaging, Realtime):
        await runtime.messaging.stop()
