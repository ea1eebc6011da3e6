"""Picks this process's bus and shared-state implementations from the settings.

Embedded (no Redis, bus `memory`): everything in-process. With `PARLEY_REDIS_URL`: presence,
send, call and read limits, the typing throttle and WebSocket tickets live in Redis, shared by every
process. `PARLEY_BUS` picks how events travel between processes.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from parley.core.ratelimit import LocalRateLimiter, LocalThrottle, RateLimiter, Throttle
from parley.core.runtime import Runtime
from parley.realtime.bus import EventBus, MemoryBus
from parley.realtime.presence import MemoryPresence, StatusListener
from parley.realtime.presence_redis import Presence, RedisPresence
from parley.realtime.shared import TicketStore
from parley.realtime.tickets import MemoryTicketStore


@dataclass
class Components:
    bus: EventBus
    presence: Presence
    tickets: TicketStore
    send_limits: RateLimiter
    #: per-member budgets of `call` and `read` frames
    call_limits: RateLimiter
    read_limits: RateLimiter
    typing_throttle: Throttle
    #: readiness checks for /readyz, by name
    checks: dict[str, Callable[[], Awaitable[None]]]
    #: starts background work of the shared components (presence heartbeats)
    start: Callable[[], None]


def build_bus(runtime: Runtime) -> EventBus:
    settings = runtime.settings
    consume = settings.role != "api"  # an api process publishes; it has no sockets to feed
    if settings.bus == "redis":
        from parley.realtime.bus_redis import RedisBus

        assert runtime.redis is not None
        return RedisBus(settings, runtime.redis, consume=consume)
    if settings.bus == "kafka":
        from parley.realtime.bus_kafka import KafkaBus

        return KafkaBus(settings, consume=consume)
    return MemoryBus()


def build_components(runtime: Runtime, on_presence: StatusListener) -> Components:
    settings = runtime.settings
    bus = build_bus(runtime)
    checks: dict[str, Callable[[], Awaitable[None]]] = {"bus": bus.ping}
    redis = runtime.redis
    if redis is None:
        return Components(
            bus=bus,
            presence=MemoryPresence(settings.presence_grace_seconds, on_presence),
            tickets=MemoryTicketStore(settings.ws_ticket_ttl_seconds),
            send_limits=LocalRateLimiter(settings.send_rate, settings.send_burst),
            call_limits=LocalRateLimiter(settings.call_rate, settings.call_burst),
            read_limits=LocalRateLimiter(settings.read_rate, settings.read_burst),
            typing_throttle=LocalThrottle(settings.typing_interval_seconds),
            checks=checks,
            start=lambda: None,
        )
    from parley.core.redis import RedisRateLimiter, RedisThrottle
    from parley.realtime.shared import RedisTicketStore

    async def ping_redis() -> None:
        await redis.ping()

    checks["redis"] = ping_redis
    presence = RedisPresence(redis, settings, os.urandom(8).hex(), on_presence)
    return Components(
        bus=bus,
        presence=presence,
        tickets=RedisTicketStore(redis, settings),
        send_limits=RedisRateLimiter(
            redis, settings, "send", settings.send_rate, settings.send_burst
        ),
        call_limits=RedisRateLimiter(
            redis, settings, "call", settings.call_rate, settings.call_burst
        ),
        read_limits=RedisRateLimiter(
            redis, settings, "read", settings.read_rate, settings.read_burst
        ),
        typing_throttle=RedisThrottle(redis, settings, "typing", settings.typing_interval_seconds),
        checks=checks,
        start=presence.start,
    )
