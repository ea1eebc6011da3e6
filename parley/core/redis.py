"""Redis for state that every process must share: login throttling, send limits, throttles.

Each counter is one atomic step in Redis (a Lua script or a single command), so processes
never race on a read-then-write. When Redis cannot be reached the same limit is applied by
the in-process implementation instead: a Redis outage loosens limits to per-process ones for
its duration, it never stops people from logging in or chatting (docs/deployment.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from parley.core.config import Settings
from parley.core.ratelimit import MemoryFailureCounter, TokenBucket

log = logging.getLogger("parley.redis")
T = TypeVar("T")

#: what a failed Redis call raises: its own errors, and socket errors from below them
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


def connect_redis(settings: Settings) -> Redis:
    """A pooled client; connects lazily, so building it never fails on an absent Redis."""
    assert settings.redis_url is not None
    client: Redis = Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=2,
        socket_timeout=3,
        health_check_interval=10,
    )
    return client


def redis_key(settings: Settings, *parts: object) -> str:
    return ":".join((settings.cluster_prefix, *(str(p) for p in parts)))


class Degraded:
    """Runs a Redis call, falling back to a local answer while Redis is unreachable.

    The first failure of an outage is logged as a warning, the rest at debug level, so an
    outage does not flood the log; the first success after it is logged too.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.failing_since: float | None = None

    async def call(
        self, remote: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]
    ) -> T:
        try:
            result = await remote()
        except REDIS_ERRORS as exc:
            if self.failing_since is None:
                self.failing_since = time.monotonic()
                log.warning(
                    "redis unavailable: using the local fallback",
                    extra={"component": self.what, "error": repr(exc)},
                )
            return await local()
        if self.failing_since is not None:
            log.info("redis is back", extra={"component": self.what})
            self.failing_since = None
        return result


HIT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


class RedisFailureCounter:
    """Fixed windows as Redis counters with an expiry: `INCR` + `PEXPIRE` in one script."""

    def __init__(self, client: Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self.window = settings.login_window_seconds
        self._hit = client.register_script(HIT_SCRIPT)
        self._local = MemoryFailureCounter(self.window)
        self._degraded = Degraded("login throttle")

    def _key(self, key: str) -> str:
        return redis_key(self._settings, "login", key)

    async def hit(self, key: str) -> tuple[int, float]:
        async def remote() -> tuple[int, float]:
            count, ttl_ms = await self._hit(keys=[self._key(key)], args=[int(self.window * 1000)])
            return int(count), int(ttl_ms) / 1000

        return await self._degraded.call(remote, lambda: self._local.hit(key))

    async def add(self, key: str) -> None:
        await self.hit(key)

    async def count(self, key: str) -> tuple[int, float]:
        async def remote() -> tuple[int, float]:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.get(self._key(key))
                pipe.pttl(self._key(key))
                raw, ttl_ms = await pipe.execute()
            return int(raw or 0), max(int(ttl_ms), 0) / 1000

        return await self._degraded.call(remote, lambda: self._local.count(key))

    async def clear(self, key: str) -> None:
        async def remote() -> None:
            await self._client.delete(self._key(key))

        await self._local.clear(key)
        await self._degraded.call(remote, lambda: self._local.clear(key))


BUCKET_SCRIPT = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 't', 's')
local tokens, stamp = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 's', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return string.format('%.6f', wait)
"""


class RedisRateLimiter:
    """A token bucket per key in a Redis hash, refilled and taken in one script (Redis time,
    so the clocks of the processes do not matter)."""

    def __init__(self, client: Redis, settings: Settings, name: str, rate: float, burst: float):
        self._settings = settings
        self._name = name
        self.rate = rate
        self.burst = burst
        self._take = client.register_script(BUCKET_SCRIPT)
        self._local = TokenBucket(rate, burst)
        self._degraded = Degraded(f"{name} rate limit")

    async def take(self, key: str, cost: float = 1.0) -> float:
        async def remote() -> float:
            wait = await self._take(
                keys=[redis_key(self._settings, "rate", self._name, key)],
                args=[repr(self.rate), repr(self.burst), repr(cost)],
            )
            return float(wait)

        async def local() -> float:
            return self._local.take(key, cost)

        return await self._degraded.call(remote, local)


class RedisThrottle:
    """One event per key per interval: `SET key NX PX interval` succeeds for the first only."""

    def __init__(self, client: Redis, settings: Settings, name: str, interval: float) -> None:
        self._client = client
        self._settings = settings
        self._name = name
        self._interval_ms = max(int(interval * 1000), 1)
        self._local = TokenBucket(1 / max(interval, 1e-3), 1)
        self._degraded = Degraded(f"{name} throttle")

    async def allow(self, key: str) -> bool:
        async def remote() -> bool:
            name = redis_key(self._settings, "throttle", self._name, key)
            return bool(await self._client.set(name, b"1", nx=True, px=self._interval_ms))

        async def local() -> bool:
            return self._local.take(key) == 0.0

        return await self._degraded.call(remote, local)
