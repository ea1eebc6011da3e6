"""The process-wide services a request or a connection needs, built once at startup."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parley.core.config import Settings
from parley.core.database import Database, create_engine
from parley.core.ratelimit import FailureCounter, MemoryFailureCounter
from parley.core.security import PasswordHasher

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass
class Runtime:
    settings: Settings
    db: Database
    hasher: PasswordHasher
    login_failures: FailureCounter
    #: components added by later layers (bus, presence, gateway), keyed by name
    extras: dict[str, Any] = field(default_factory=dict)
    #: shared state across processes (PARLEY_REDIS_URL); None in the embedded mode
    redis: Redis | None = None

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        redis = None
        login_failures: FailureCounter = MemoryFailureCounter(settings.login_window_seconds)
        if settings.redis_url:
            from parley.core.redis import RedisFailureCounter, connect_redis

            redis = connect_redis(settings)
            login_failures = RedisFailureCounter(redis, settings)
        return cls(
            settings=settings,
            db=Database(create_engine(settings)),
            hasher=PasswordHasher(settings),
            login_failures=login_failures,
            redis=redis,
        )

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()
