"""The process-wide services a request or a connection needs, built once at startup."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from parley.core.config import Settings
from parley.core.database import Database, create_engine
from parley.core.ports import MessagingPort, ReadinessCheck
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
    #: the real-time service once started (None in a process or test without one)
    messaging: MessagingPort | None = None
    #: readiness probes added by later layers (bus, shared state), by name, for /readyz
    readiness: dict[str, ReadinessCheck] = field(default_factory=dict)
    #: the Prometheus registry of /metrics, once the real-time service registered it
    metrics: CollectorRegistry | None = None
    #: the files service (`parley.files.service.FilesService`), registered when the app starts
    files: object | None = None
    #: shared state across processes (PARLEY_REDIS_URL); None in the embedded mode
    redis: Redis | None = None
    #: sign-ups per address, in windows of PARLEY_SIGNUP_WINDOW_SECONDS (`accounts.community`)
    signup_attempts: FailureCounter | None = None

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        redis = None
        login_failures: FailureCounter = MemoryFailureCounter(settings.login_window_seconds)
        signups: FailureCounter = MemoryFailureCounter(settings.signup_window_seconds)
        if settings.redis_url:
            from parley.core.redis import RedisFailureCounter, connect_redis

            redis = connect_redis(settings)
            login_failures = RedisFailureCounter(redis, settings)
            window = {"login_window_seconds": settings.signup_window_seconds}
            signups = RedisFailureCounter(redis, settings.model_copy(update=window))
        return cls(
            settings=settings,
            db=Database(create_engine(settings)),
            hasher=PasswordHasher(settings),
            login_failures=login_failures,
            redis=redis,
            signup_attempts=signups,
        )

    def require_messaging(self) -> MessagingPort:
        """The real-time service, or a clear error where a caller needs it and none runs."""
        if self.messaging is None:
            raise RuntimeError("the real-time service is not running in this process")
        return self.messaging

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()
