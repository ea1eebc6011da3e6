"""Rate limiting primitives with an in-process implementation (Redis comes with scale-out)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class FailureCounter(Protocol):
    """Counts events per key in a fixed window, for login throttling."""

    async def count(self, key: str) -> tuple[int, float]:
        """(events in the current window, seconds until it resets)."""
        ...

    async def add(self, key: str) -> None: ...

    async def clear(self, key: str) -> None: ...


@dataclass
class _Window:
    started: float
    events: int


class MemoryFailureCounter:
    """Fixed windows kept in a dict; stale windows are dropped as the dict grows."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._windows: dict[str, _Window] = {}

    def _current(self, key: str, now: float) -> _Window | None:
        window = self._windows.get(key)
        if window is not None and now - window.started >= self.window:
            del self._windows[key]
            return None
        return window

    async def count(self, key: str) -> tuple[int, float]:
        now = time.monotonic()
        window = self._current(key, now)
        if window is None:
            return 0, 0.0
        return window.events, self.window - (now - window.started)

    async def add(self, key: str) -> None:
        now = time.monotonic()
        window = self._current(key, now)
        if window is None:
            if len(self._windows) > 100_000:
                self._prune(now)
            self._windows[key] = _Window(now, 1)
        else:
            window.events += 1

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, w in self._windows.items() if now - w.started >= self.window]:
            del self._windows[key]


class TokenBucket:
    """A per-key token bucket (messages per second with a burst), kept in memory."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._state: dict[object, tuple[float, float]] = {}

    def take(self, key: object, cost: float = 1.0) -> float:
        """Take tokens; returns 0 when allowed, else the seconds until it would be."""
        now = time.monotonic()
        tokens, stamp = self._state.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens >= cost:
            self._state[key] = (tokens - cost, now)
            return 0.0
        self._state[key] = (tokens, now)
        return (cost - tokens) / self.rate
