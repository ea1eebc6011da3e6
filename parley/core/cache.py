"""A small in-process cache of looked-up answers, with one load per key at a time.

The send path asks the database the same questions for every message (a member's
restrictions in a room, a room's outgoing webhooks) and keeps the answer a moment. Without a
shared load, the moment an answer expires every send in flight for that key reads it again:
sixteen pipelined sends made sixteen identical reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LoadingCache(Generic[K, V]):
    """Answers kept `ttl` seconds (at most `max_entries`, the oldest dropped first)."""

    def __init__(self, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, asyncio.Future[V]]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]], ttl: float | None = None) -> V:
        """The cached answer, or `load()`'s; callers that miss together share one load. A
        new answer is kept `ttl` seconds if given (the owner knows how long it can trust it),
        else the cache's."""
        keep = self.ttl if ttl is None else ttl
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now < entry[0] and entry[1].done():
            return entry[1].result()  # the hot path: a settled answer (failures are dropped)
        if entry is not None and (now < entry[0] or not entry[1].done()):
            # shielded: a caller that is cancelled must not cancel the others' load
            return await asyncio.shield(entry[1])
        loading = asyncio.ensure_future(load())
        self._entries.pop(key, None)
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (now + keep, loading)
        loading.add_done_callback(lambda done: self._settled(key, done, keep))
        return await asyncio.shield(loading)

    def _settled(self, key: K, done: asyncio.Future[V], ttl: float) -> None:
        entry = self._entries.get(key)
        if entry is None or entry[1] is not done:
            return
        if done.cancelled() or done.exception() is not None:
            del self._entries[key]  # a failed load is not an answer: the next caller retries
        else:
            self._entries[key] = (time.monotonic() + ttl, done)  # fresh from now

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def forget_where(self, matches: Callable[[K], bool]) -> None:
        for key in [k for k in self._entries if matches(k)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
