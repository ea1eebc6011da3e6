"""The process-wide services a request or a connection needs, built once at startup."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parley.core.config import Settings
from parley.core.database import Database, create_engine
from parley.core.ratelimit import FailureCounter, MemoryFailureCounter
from parley.core.security import PasswordHasher


@dataclass
class Runtime:
    settings: Settings
    db: Database
    hasher: PasswordHasher
    login_failures: FailureCounter
    #: components added by later layers (bus, presence, gateway), keyed by name
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=Database(create_engine(settings)),
            hasher=PasswordHasher(settings),
            login_failures=MemoryFailureCounter(settings.login_window_seconds),
        )

    async def close(self) -> None:
        await self.db.dispose()
