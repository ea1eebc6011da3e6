"""Local fan-out: every event for a room reaches this process's subscribers once, in order.

Messages carry the room's `seq`. Each room channel delivers seq N only after N-1: a duplicate
(a bus retry, a replayed event) is dropped, an early one waits, and a gap that does not fill
itself within `gap_delay` is read back from the database (anything with a higher seq is
committed, so the missing ones are too). A gap fill that fails is retried, never skipped.
A subscription starts at the newest committed seq, never behind it: a channel that lags
(its bus has not brought an event yet) reads the rest from the database first.

An event's eviction rules are applied as it is delivered: a kick's system message ends the
kicked member's subscription before the room's next seq can reach them. An event that ends
login sessions closes their connections with 4001.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from parley.realtime.connection import Connection
from parley.realtime.events import RoomEvent

log = logging.getLogger("parley.realtime.hub")

LoadLastSeq = Callable[[int], Awaitable[int]]
FetchRange = Callable[[int, int, int], Awaitable[list[RoomEvent]]]
#: how many live events a connection may queue while its history replay is in progress
SYNC_BUFFER_LIMIT = 10_000
#: events read per round when a new subscription brings a lagging channel up to date
CATCH_UP_BATCH = 500
#: retry delays of a gap fill whose read failed (the last one repeats)
GAP_RETRY_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)
SESSION_ENDED = 4001


class RoomChannel:
    __slots__ = (
        "early",
        "gap_failures",
        "gap_timer",
        "last_seq",
        "live",
        "pending",
        "ready",
        "room_id",
        "syncing",
    )

    def __init__(self, room_id: int) -> None:
        self.room_id = room_id
        self.live: dict[Connection, None] = {}
        self.syncing: dict[Connection, list[RoomEvent]] = {}
        #: highest seq delivered here; None until read from the database
        self.last_seq: int | None = None
        self.early: list[RoomEvent] = []
        self.pending: dict[int, RoomEvent] = {}
        self.gap_timer: asyncio.TimerHandle | None = None
        self.gap_failures = 0
        self.ready = asyncio.Event()

    @property
    def empty(self) -> bool:
        return not self.live and not self.syncing


class Hub:
    def __init__(
        self, load_last_seq: LoadLastSeq, fetch_range: FetchRange, gap_delay: float = 0.05
    ):
        self._load_last_seq = load_last_seq
        self._fetch_range = fetch_range
        self.gap_delay = gap_delay
        self.channels: dict[int, RoomChannel] = {}
        self.connections: dict[int, set[Connection]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: frames written to live subscribers (for /metrics)
        self.deliveries = 0

    # -- connections ------------------------------------------------------------------------

    def add_connection(self, conn: Connection) -> bool:
        """Register a connection; True when it is the member's first here."""
        conns = self.connections.setdefault(conn.member_id, set())
        conns.add(conn)
        return len(conns) == 1

    def remove_connection(self, conn: Connection) -> bool:
        """Forget a connection and its subscriptions; True when it was the member's last."""
        for room_id in list(conn.rooms):
            self.unsubscribe(conn, room_id)
        conns = self.connections.get(conn.member_id)
        if conns is None:
            return False
        conns.discard(conn)
        if not conns:
            del self.connections[conn.member_id]
            return True
        return False

    # -- subscriptions ----------------------------------------------------------------------

    async def begin_subscription(self, conn: Connection, room_id: int) -> int:
        """Start buffering the room's live events for `conn`; returns the seq they follow.

        That seq is never older than the newest one committed before the call. A channel
        that was already open may lag behind the database (its bus has not brought an event
        yet, or lost it with a publisher killed between commit and publish); a client that
        saw that event elsewhere and resumes after it would otherwise get it again, live.
        """
        channel = self.channels.get(room_id)
        opened_here = channel is None
        if channel is None:
            channel = self.channels[room_id] = RoomChannel(room_id)
            self._spawn(self._initialise(channel))
        channel.syncing[conn] = []
        conn.rooms.add(room_id)
        try:
            await channel.ready.wait()
            if self.channels.get(room_id) is not channel:  # initialisation failed
                raise ConnectionError("room channel could not be opened")
            if not opened_here:  # a channel opened here read the database after `conn` came
                await self._catch_up(channel)
        except BaseException:
            self.unsubscribe(conn, room_id)
            raise
        assert channel.last_seq is not None
        return channel.last_seq

    def finish_subscription(self, conn: Connection, room_id: int, delivered_up_to: int) -> None:
        """Flush what arrived during the replay (after `delivered_up_to`), then go live."""
        channel = self.channels.get(room_id)
        if channel is None or conn not in channel.syncing:
            return
        for event in channel.syncing.pop(conn):
            if event.seq is None or event.seq > delivered_up_to:
                conn.write(event.frame)
        if not conn.closed:
            channel.live[conn] = None

    def unsubscribe(self, conn: Connection, room_id: int) -> None:
        conn.rooms.discard(room_id)
        channel = self.channels.get(room_id)
        if channel is None:
            return
        channel.live.pop(conn, None)
        channel.syncing.pop(conn, None)
        if channel.empty and channel.ready.is_set():
            self._drop(channel)

    def is_subscribed(self, conn: Connection, room_id: int) -> bool:
        return room_id in conn.rooms

    # -- events -----------------------------------------------------------------------------

    def dispatch(self, event: RoomEvent) -> None:
        """The bus sink: route one event to local subscribers."""
        if event.ends_sessions:
            self._end_sessions(event)
            return
        if event.room_ids:
            self._deliver_to_rooms(event)
            return
        if event.room_id is None:
            for member_id in event.audience or ():
                self.deliver_to_member(member_id, event.frame)
            return
        channel = self.channels.get(event.room_id)
        if channel is None:
            return
        if event.seq is None:
            self._deliver(channel, event)
            return
        if channel.last_seq is None:
            channel.early.append(event)
            return
        self._accept(channel, event)

    def deliver_to_member(self, member_id: int, frame: bytes) -> None:
        """A frame for every local connection of one member (read markers, calls)."""
        for conn in self.connections.get(member_id, ()):
            conn.write(frame)

    def _end_sessions(self, event: RoomEvent) -> None:
        """Close the connections of ended login sessions (all of the audience's, for
        `end_member`), after handing them the event's frame."""
        for member_id in event.audience or ():
            for conn in list(self.connections.get(member_id, ())):
                if event.end_member or conn.session_id in event.end_sessions:
                    conn.write(event.frame)
                    conn.close(SESSION_ENDED, "session ended")

    def _accept(self, channel: RoomChannel, event: RoomEvent) -> None:
        seq = event.seq
        assert seq is not None and channel.last_seq is not None
        if seq <= channel.last_seq:
            return  # already delivered: a retry or an overlap with a gap fill
        if seq != channel.last_seq + 1:
            channel.pending.setdefault(seq, event)
            if channel.gap_timer is None:
                channel.gap_timer = asyncio.get_running_loop().call_later(
                    self.gap_delay, self._start_gap_fill, channel
                )
            return
        self._deliver(channel, event)
        channel.last_seq = seq
        pending = channel.pending
        while pending:
            following = pending.pop(channel.last_seq + 1, None)
            if following is None:
                break
            self._deliver(channel, following)
            channel.last_seq += 1
        if not pending and channel.gap_timer is not None:
            channel.gap_timer.cancel()
            channel.gap_timer = None

    def _deliver(self, channel: RoomChannel, event: RoomEvent) -> None:
        frame = event.frame
        audience = event.audience
        excluded = event.exclude_member
        if audience is None and excluded is None:
            self.deliveries += len(channel.live)
            for conn in channel.live:
                conn.write(frame)
        else:
            for conn in channel.live:
                member = conn.member_id
                if (audience is None or member in audience) and member != excluded:
                    conn.write(frame)
        for conn, buffered in channel.syncing.items():
            if audience is None or conn.member_id in audience:
                buffered.append(event)
                if len(buffered) > SYNC_BUFFER_LIMIT:
                    conn.close(4009, "too slow: too much arrived during replay")
        if event.evict or event.evict_all:
            self._evict(channel, event)

    def _deliver_to_rooms(self, event: RoomEvent) -> None:
        """One copy per connection, however many of the rooms it shares (presence)."""
        seen: set[Connection] = set()
        frame = event.frame
        for room_id in event.room_ids:
            channel = self.channels.get(room_id)
            if channel is None:
                continue
            for conn in (*channel.live, *channel.syncing):
                if conn not in seen and conn.member_id != event.exclude_member:
                    seen.add(conn)
                    conn.write(frame)

    def _evict(self, channel: RoomChannel, event: RoomEvent) -> None:
        targets = [
            conn
            for conn in (*channel.live, *channel.syncing)
            if event.evict_all or conn.member_id in event.evict
        ]
        for conn in targets:
            self.unsubscribe(conn, channel.room_id)

    # -- channel life -----------------------------------------------------------------------

    async def _initialise(self, channel: RoomChannel) -> None:
        try:
            channel.last_seq = await self._load_last_seq(channel.room_id)
        except Exception:
            log.exception("cannot open room channel", extra={"room_id": channel.room_id})
            self.channels.pop(channel.room_id, None)
            channel.ready.set()
            return
        early, channel.early = channel.early, []
        for event in sorted(early, key=lambda e: e.seq or 0):
            self._accept(channel, event)
        channel.ready.set()

    def _start_gap_fill(self, channel: RoomChannel) -> None:
        channel.gap_timer = None
        if channel.pending and self.channels.get(channel.room_id) is channel:
            self._spawn(self._fill_gap(channel))

    async def _fill_gap(self, channel: RoomChannel) -> None:
        assert channel.last_seq is not None
        after, before = channel.last_seq, min(channel.pending)
        try:
            events = await self._fetch_range(channel.room_id, after, before)
        except Exception as exc:
            # the missing events are committed but unreadable now: wait and read again,
            # never skip past them (live clients would never receive them)
            delay = GAP_RETRY_SECONDS[min(channel.gap_failures, len(GAP_RETRY_SECONDS) - 1)]
            channel.gap_failures += 1
            log.warning(
                "gap fill failed; will retry",
                extra={"room_id": channel.room_id, "error": repr(exc), "retry_in": delay},
            )
            if channel.gap_timer is None and self.channels.get(channel.room_id) is channel:
                channel.gap_timer = asyncio.get_running_loop().call_later(
                    delay, self._start_gap_fill, channel
                )
            return
        channel.gap_failures = 0
        for event in events:
            self._accept(channel, event)
        if channel.pending and channel.last_seq is not None and channel.last_seq < before - 1:
            # the gap is not in the database (its room was emptied): skip it rather than stall
            log.warning("skipping missing seqs", extra={"room_id": channel.room_id})
            channel.last_seq = min(channel.pending) - 1
            self._accept(channel, channel.pending.pop(channel.last_seq + 1))

    async def _catch_up(self, channel: RoomChannel) -> None:
        """Deliver what the database has after the channel's last seq (usually nothing: one
        indexed read that finds no row)."""
        while self.channels.get(channel.room_id) is channel:
            after = channel.last_seq
            assert after is not None
            events = await self._fetch_range(channel.room_id, after, after + CATCH_UP_BATCH + 1)
            for event in events:
                self._accept(channel, event)
            if len(events) < CATCH_UP_BATCH or channel.last_seq == after:
                return  # all read, or a hole the gap fill deals with

    def _drop(self, channel: RoomChannel) -> None:
        if channel.gap_timer is not None:
            channel.gap_timer.cancel()
        self.channels.pop(channel.room_id, None)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close_all(self, code: int, reason: str) -> None:
        for conns in list(self.connections.values()):
            for conn in list(conns):
                conn.close(code, reason)
