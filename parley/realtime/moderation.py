"""Slow mode and mutes on the send path, checked before a send reaches the message writer.

One read per send (the room's slow mode, the sender's role and mute: a primary-key join on
the read-only session, so it never waits for the writer). Slow mode is a per (room, member)
gate: in memory on one process, `SET NX PX` in Redis when processes share state, so a
member cannot double their rate by spreading sends across gateways.
"""

from __future__ import annotations

import time

from parley.chat.api import SendRejected
from parley.core.runtime import Runtime
from parley.rooms.api import send_restrictions

#: slow-mode gates kept in memory at most (the oldest go first)
MAX_GATES = 100_000


class SendRules:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._next_allowed: dict[tuple[int, int], float] = {}

    async def check(self, member_id: int, room_id: int) -> None:
        async with self.runtime.db.read_sessions() as session:
            rules = await send_restrictions(session, room_id, member_id)
        if rules.muted_until is not None:
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
