"""Rate limiting primitives: the protocols, and the in-process implementations.

The Redis implementations (`parley.core.redis`) share the same limits across processes; these
stay the embedded default and the fallback while Redis is unreachable.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol


class FailureCounter(Protocol):
    """Counts events per key in a fixed window, for login throttling."""

    async def count(self, key: str) -> tuple[int, float]:
        """(events in the current window, seconds until it resets)."""
        ...

    async def add(self, key: str) -> None: ...

    async def hit(self, key: str) -> tuple[int, float]:
        """Count one event and return (events in the window including it, seconds left).

        One atomic step: concurrent attempts each see a distinct count, so a burst of
        parallel guesses cannot all pass a check made before any of them was counted.
        """
        ...

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
        await self.hit(key)

    async def hit(self, key: str) -> tuple[int, float]:
        now = time.monotonic()
        window = self._current(key, now)
        if window is None:
            if len(self._windows) > 100_000:
                self._prune(now)
            window = self._windows[key] = _Window(now, 0)
        window.events += 1  # no await between the read and the write: atomic in the loop
        return window.events, self.window - (now - window.started)

    async def clear(self, key: str) -> None:
        self._windows.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in [k for k, w in self._windows.items() if now - w.started >= self.window]:
            del self._windows[key]


class TokenBucket:
    """A per-key token bucket (messages per second with a burst), kept in memory.

    A bucket that has refilled is the same as no bucket, so refilled ones are dropped: the
    buckets are kept least recently used first, and every `take` drops those untouched for
    `burst / rate` seconds (by then any bucket is full again). The map holds only the keys
    active in that time, and never more than `max_keys`: past it the least recently used go
    first, which can only give those keys their burst back early, never refuse anyone.
    """

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        #: an untouched bucket is full again after this long, whatever it held
        self.refill_seconds = burst / rate
        self._state: OrderedDict[object, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._state)

    def take(self, key: object, cost: float = 1.0) -> float:
        """Take tokens; returns 0 when allowed, else the seconds until it would be."""
        now = time.monotonic()
        self._prune(now)
        state = self._state.get(key)
        tokens = self.burst if state is None else state[0] + (now - state[1]) * self.rate
        tokens = min(self.burst, tokens)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / self.rate
        if tokens >= self.burst:  # a full bucket need not be kept
            self._state.pop(key, None)
            return wait
        self._state[key] = (tokens, now)
        self._state.move_to_end(key)
        if len(self._state) > self.max_keys:
            self._state.popitem(last=False)
        return wait

    def _prune(self, now: float) -> None:
        """Drop the buckets idle long enough to be full: the oldest first, O(1) each."""
        state = self._state
        cutoff = now - self.refill_seconds
        while state:
            oldest = next(iter(state))
            if state[oldest][1] > cutoff:
                return
            del state[oldest]


class RateLimiter(Protocol):
    """A token bucket per key, possibly shared by every process (sends)."""

    async def take(self, key: str, cost: float = 1.0) -> float:
        """0 when allowed, else the seconds until it would be."""
        ...


class Throttle(Protocol):
    """At most one event per key per interval (typing indicators)."""

    async def allow(self, key: str) -> bool: ...


class LocalRateLimiter:
    """`RateLimiter` over an in-memory `TokenBucket`: the embedded default."""

    def __init__(self, rate: float, burst: float) -> None:
        self.bucket = TokenBucket(rate, burst)

    async def take(self, key: str, cost: float = 1.0) -> float:
        return self.bucket.take(key, cost)


class LocalThrottle:
    def __init__(self, interval_seconds: float) -> None:
        self.bucket = TokenBucket(1 / max(interval_seconds, 1e-3), 1)

    async def allow(self, key: str) -> bool:
        return self.bucket.take(key) == 0.0
