"""Slow mode and mutes on the send path, checked before a send reaches the message writer.

What is cached: per (room, sender), the answer of `send_restrictions` (the room's slow mode,
whether the sender is its owner or an admin, the end of a mute in force): one primary-key
join on the read-only session. A read per send made every send wait for a database round
trip in the frame loop, which cut a connection's send rate several-fold; a reload every
second still cost ~8 % of the server's CPU with 100 senders.

How long: `CACHE_SECONDS` (a minute) on a process that hears every change (one process, or
one consuming the bus while it is connected), else `UNHEARD_CACHE_SECONDS` (an api process
consumes no bus). A mute's end needs no reload: `check` compares it with the clock.

What forgets it: every change of an answer emits its event with the mark
(`Event.rules_changed`, `rules_of`): a room update of slow mode (the whole room), a mute or
an unmute, and any change of a member's role in the room — promotion, demotion, ownership
passing on (hand-over, a site admin's transfer, an owner leaving), leave, kick, ban (a join
turns "no role" into "member": the same answer). Every process forgets the entries on
receipt, room open or not (the bus carries the mark on its channel for all); the process
that made a mute, a slow mode or a role change forgets at once, before the relay publishes.
A bus reconnect forgets everything (marks may have gone by meanwhile).

Why a bound at all: the minute still limits what no event tells — an event waiting in the
outbox while no relay runs, a change written to the database by other means (an import, a
restore, SQL). A stale entry of a member removed from the room, or of a deleted room, is
harmless: the writer refuses their sends in its batch (`not_a_member`), and room ids are
never reused.

Slow mode is a per (room, member) gate: in memory on one process, `SET NX PX` in Redis when
processes share state, so a member cannot double their rate by spreading sends across
gateways.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from parley.chat.api import SendRejected
from parley.core.cache import LoadingCache
from parley.core.config import Settings
from parley.core.database import utcnow
from parley.core.ratelimit import TokenBucket
from parley.core.runtime import Runtime
from parley.rooms.api import SendRestrictions, send_restrictions

#: slow-mode gates kept in memory at most (the oldest go first)
MAX_GATES = 100_000
#: how long a (room, sender)'s restrictions are reused where every change is heard (a bound
#: for changes no event tells), where none may be, and how many are kept
CACHE_SECONDS = 60.0
UNHEARD_CACHE_SECONDS = 1.0
MAX_CACHED = 100_000
#: refusals for rate (`rate_limited`) a connection may collect within the window before it
#: is closed with 4008: a client that ignores the answers is flooding, not chatting
FLOOD_MAX_REFUSALS = 50
FLOOD_WINDOW_SECONDS = 10.0
#: connections a process keeps buckets for at most (only those active in the last seconds)
MAX_BUDGETS = 1_000_000


class ConnectionBudgets:
    """The frame buckets of every connection of a process, keyed by connection.

    One keyed bucket per process instead of two per connection: a bucket that has refilled
    is dropped, so only connections active in the last few seconds hold memory.
    """

    def __init__(self, settings: Settings) -> None:
        #: every frame but `send` (which has the member's send budget) draws on this
        self.frames = TokenBucket(settings.ws_frame_rate, settings.ws_frame_burst, MAX_BUDGETS)
        #: refusals for rate; running out closes the connection as a flooder
        self.refusals = TokenBucket(
            FLOOD_MAX_REFUSALS / FLOOD_WINDOW_SECONDS, FLOOD_MAX_REFUSALS, MAX_BUDGETS
        )


class SendRules:
    """The send path's check of mutes and slow mode, with the cache described above."""

    def __init__(self, runtime: Runtime, hears_every_change: Callable[[], bool]) -> None:
        self.runtime = runtime
        #: whether a change committed now will reach `forget` here (decides an entry's life)
        self.hears_every_change = hears_every_change
        self._next_allowed: dict[tuple[int, int], float] = {}
        self._cached: LoadingCache[tuple[int, int], SendRestrictions] = LoadingCache(
            CACHE_SECONDS, MAX_CACHED
        )

    def forget(self, room_id: int, member_id: int | None = None) -> None:
        """Drop cached restrictions of a room (of one member, or all of them)."""
        if member_id is not None:
            self._cached.forget((room_id, member_id))
            return
        self._cached.forget_where(lambda key: key[0] == room_id)

    def forget_all(self) -> None:
        self._cached.clear()

    async def _restrictions(self, member_id: int, room_id: int) -> SendRestrictions:
        async def load() -> SendRestrictions:
            async with self.runtime.db.read_sessions() as session:
                return await send_restrictions(session, room_id, member_id)

        # decided before the read: a change committed after it is heard and forgets it
        ttl = CACHE_SECONDS if self.hears_every_change() else UNHEARD_CACHE_SECONDS
        return await self._cached.get((room_id, member_id), load, ttl)

    async def check(self, member_id: int, room_id: int) -> None:
        rules = await self._restrictions(member_id, room_id)
        # a cached mute ends on time by itself: its end is the answer, not a reload
        if rules.muted_until is not None and rules.muted_until > utcnow():
            raise SendRejected(
                "muted", f"you are muted in this room until {rules.muted_until.isoformat()}"
            )
        if rules.slow_mode_seconds <= 0 or rules.moderator:
            return
        wait = await self._gate(member_id, room_id, rules.slow_mode_seconds)
        if wait > 0:
            raise SendRejected(
                "slow_mode",
                f"slow mode: one message per {rules.slow_mode_seconds} s; retry in {wait:.1f} s",
            )

    async def _gate(self, member_id: int, room_id: int, seconds: int) -> float:
        """0 and the gate closed for `seconds`, or how long until it opens."""
        redis = self.runtime.redis
        if redis is not None:
            from parley.core.redis import redis_key

            name = redis_key(self.runtime.settings, "slow", f"{room_id}:{member_id}")
            if await redis.set(name, b"1", nx=True, px=seconds * 1000):
                return 0.0
            ttl = int(await redis.pttl(name))
            return max(ttl / 1000, 0.1)
        now = time.monotonic()
        key = (room_id, member_id)
        opens = self._next_allowed.get(key, 0.0)
        if opens > now:
            return opens - now
        if len(self._next_allowed) >= MAX_GATES:
            for stale in [k for k, v in self._next_allowed.items() if v <= now]:
                del self._next_allowed[stale]
            while len(self._next_allowed) >= MAX_GATES:
                del self._next_allowed[next(iter(self._next_allowed))]
        self._next_allowed[key] = now + seconds
        return 0.0
