"""Presence shared by every process: online on one process means online everywhere.

Each process holds a lease per member it has connections for: `pres:{member}` is a sorted
set of process ids scored by when the lease ends. Leases are renewed by a heartbeat, so the
leases of a killed process end on their own after `presence_ttl_seconds`. The last local
disconnect shortens the lease to the grace period (a reload or a blip does not flap).

Status changes are decided in Redis, atomically, so each is announced exactly once across
the cluster: the `online` set says who was announced online; a connect that adds a member to
it announces "online"; a sweep (run by every process, cheap) removes ended leases and
announces "offline" for members left with none. The local count of connections never leaves
the process: Redis only knows which processes hold a lease.

`is_online` answers synchronously (the HTTP member lists call it per row) from a mirror of the
`online` set refreshed with the sweep, at most about a second old; `online` asks Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

from parley.core.config import Settings
from parley.core.redis import REDIS_ERRORS, redis_key

log = logging.getLogger("parley.realtime.presence")
StatusListener = Callable[[int, str], None]

_LUA_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function lease(prefix, member, proc, until_ms)
  redis.call('ZADD', prefix .. 'pres:' .. member, until_ms, proc)
  local due = prefix .. 'pres-due'
  local current = redis.call('ZSCORE', due, member)
  if (not current) or tonumber(current) > until_ms then
    redis.call('ZADD', due, until_ms, member)
  end
end
"""
#: ARGV: prefix, process id, lease ms, member ids…; returns the members newly online
HOLD_SCRIPT = (
    _LUA_COMMON
    + """
local prefix, proc, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now, fresh = now_ms(), {}
for i = 4, #ARGV do
  lease(prefix, ARGV[i], proc, now + ttl)
  if redis.call('SADD', prefix .. 'online', ARGV[i]) == 1 then table.insert(fresh, ARGV[i]) end
end
return fresh
"""
)
#: ARGV: prefix, process id, grace ms, member id
RELEASE_SCRIPT = (
    _LUA_COMMON
    + """
lease(ARGV[1], ARGV[4], ARGV[2], now_ms() + tonumber(ARGV[3]))
return 0
"""
)
#: ARGV: prefix, batch size; returns the members now offline
SWEEP_SCRIPT = """
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due, gone = prefix .. 'pres-due', {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, limit)) do
  local leases = prefix .. 'pres:' .. member
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  local next_end = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  if #next_end == 0 then
    redis.call('ZREM', due, member)
    if redis.call('SREM', prefix .. 'online', member) == 1 then table.insert(gone, member) end
  else
    redis.call('ZADD', due, next_end[2], member)
  end
end
return gone
"""


class Presence(Protocol):
    def connected(self, member_id: int) -> None: ...

    def disconnected(self, member_id: int) -> None: ...

    def is_online(self, member_id: int) -> bool: ...

    async def online(self, member_ids: list[int]) -> set[int]: ...

    def close(self) -> None: ...


class RedisPresence:
    def __init__(
        self,
        client: Redis,
        settings: Settings,
        process_id: str,
        on_change: StatusListener,
    ) -> None:
        self._client = client
        self._prefix = redis_key(settings, "")
        self._process = process_id
        self.grace = settings.presence_grace_seconds
        self.ttl = settings.presence_ttl_seconds
        self._on_change = on_change
        self._hold = client.register_script(HOLD_SCRIPT)
        self._release = client.register_script(RELEASE_SCRIPT)
        self._sweep = client.register_script(SWEEP_SCRIPT)
        self._connections: dict[int, int] = {}
        self._mirror: set[int] = set()
        #: lease changes in the order they happened here, applied by one task
        self._ops: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._apply_ops(), name="presence-ops"),
            asyncio.create_task(self._heartbeat(), name="presence-heartbeat"),
            asyncio.create_task(self._sweeper(), name="presence-sweep"),
        ]

    def connected(self, member_id: int) -> None:
        count = self._connections.get(member_id, 0) + 1
        self._connections[member_id] = count
        if count == 1:
            self._ops.put_nowait(("hold", member_id))

    def disconnected(self, member_id: int) -> None:
        left = self._connections.get(member_id, 0) - 1
        if left > 0:
            self._connections[member_id] = left
            return
        self._connections.pop(member_id, None)
        self._ops.put_nowait(("release", member_id))

    def is_online(self, member_id: int) -> bool:
        return member_id in self._connections or member_id in self._mirror

    async def online(self, member_ids: list[int]) -> set[int]:
        if not member_ids:
            return set()
        flags = await self._client.smismember(self._prefix + "online", member_ids)
        return {m for m, flag in zip(member_ids, flags, strict=True) if flag}

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def _apply_ops(self) -> None:
        while True:
            op, member_id = await self._ops.get()
            try:
                if op == "hold":
                    await self._hold_members([member_id])
                elif member_id not in self._connections:  # not back in the meantime
                    await self._release(
                        args=[self._prefix, self._process, int(self.grace * 1000), member_id]
                    )
            except REDIS_ERRORS as exc:  # the heartbeat re-holds what is still connected
                log.debug("presence update failed", extra={"error": repr(exc)})

    async def _hold_members(self, member_ids: list[int]) -> None:
        ttl_ms = int(max(self.ttl, self.grace) * 1000)
        fresh = await self._hold(args=[self._prefix, self._process, ttl_ms, *member_ids])
        for member in fresh:
            self._mirror.add(int(member))
            self._on_change(int(member), "online")

    async def _heartbeat(self) -> None:
        """Renew this process's leases; after a Redis outage this also re-announces them."""
        while True:
            await asyncio.sleep(self.ttl / 3)
            members = list(self._connections)
            with contextlib.suppress(*REDIS_ERRORS):
                for start in range(0, len(members), 500):
                    await self._hold_members(members[start : start + 500])

    async def _sweeper(self) -> None:
        interval = min(max(self.grace / 2, 0.1), 1.0)
        while True:
            await asyncio.sleep(interval)
            try:
                gone = await self._sweep(args=[self._prefix, 500])
                online = {int(m) async for m in self._client.sscan_iter(self._prefix + "online")}
            except REDIS_ERRORS:
                continue
            self._mirror = online
            for member in gone:
                self._on_change(int(member), "offline")
