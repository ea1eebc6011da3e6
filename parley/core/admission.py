"""A bounded pool for expensive blocking work (password hashing): a few threads, a short line.

argon2id costs tens of milliseconds of CPU and `PARLEY_ARGON2_MEMORY_KIB` (64 MiB) per call.
Run in the event loop's shared executor, a login storm would queue without end behind every
other blocking call and run as many hashes at once as that executor has threads. Here at most
`limit` calls run at once, in threads of their own; at most `max_waiting` more wait for a
turn, each for at most `max_wait_seconds`. Anything beyond is refused at once with
`Overloaded`, which the caller answers with a 503 and a Retry-After: a client that retries
later is better served than one whose request times out in a line that never ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

T = TypeVar("T")

#: the default number of concurrent hashes: one per usable core, but never more than this
#: many times the argon2 memory cost at once
DEFAULT_LIMIT_CAP = 8


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask, where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Overloaded(Exception):
    """No turn within the bounds; retry after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"overloaded; retry in {retry_after:.1f} s")
        self.retry_after = retry_after


class BoundedWorkers:
    """At most `limit` calls at once in `limit` threads, with a bounded line in front of them.

    Counters for /metrics: `active` and `peak` are measured inside the worker threads, around
    the call itself, so they show what really ran at once.
    """

    def __init__(self, name: str, limit: int, max_waiting: int, max_wait_seconds: float) -> None:
        self.name = name
        self.limit = limit
        self.max_waiting = max_waiting
        self.max_wait_seconds = max_wait_seconds
        # idle threads end when this object is collected (ThreadPoolExecutor holds a weakref)
        self._executor = ThreadPoolExecutor(max_workers=limit, thread_name_prefix=name)
        #: turns given out (a call holds one from admission until its thread returns)
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.completed = 0
        self.rejected = 0
        self._mean_seconds = 0.0

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(*args)` in a worker thread once a turn is free; `Overloaded` if none comes."""
        await self._turn()
        loop = asyncio.get_running_loop()
        try:
            work: Future[T] = self._executor.submit(self._measured, fn, *args)
        except BaseException:
            self._release()
            raise
        # the turn ends when the thread is done, not when the caller stops waiting for it (a
        # cancelled request does not stop a hash already running)
        work.add_done_callback(lambda _: self._release_from_thread(loop))
        return await asyncio.wrap_future(work)

    async def _turn(self) -> None:
        if self.running < self.limit and not self._waiters:
            self.running += 1
            return
        if self.waiting >= self.max_waiting:
            raise self._refuse()
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            async with asyncio.timeout(self.max_wait_seconds):
                await turn
        except BaseException as exc:
            if turn.done() and not turn.cancelled():
                self._release()  # the turn came just as we gave up: hand it on
            else:
                turn.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(turn)
            if isinstance(exc, TimeoutError):
                raise self._refuse() from None
            raise

    def _refuse(self) -> Overloaded:
        self.rejected += 1
        # roughly how long until the line in front has been served
        backlog = (self.running + self.waiting) / self.limit
        return Overloaded(max(1.0, math.ceil(backlog * max(self._mean_seconds, 0.05))))

    def _release(self) -> None:
        """Hand a finished turn to the first live waiter, or give it back."""
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.running -= 1

    def _release_from_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(self._release)

    def _measured(self, fn: Callable[..., T], *args: object) -> T:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.active -= 1
                self.completed += 1
                mean = self._mean_seconds
                self._mean_seconds = elapsed if mean == 0 else 0.8 * mean + 0.2 * elapsed


class WorkersCollector(Collector):
    """`parley_<name>_*` samples of a `BoundedWorkers`, read at scrape time."""

    def __init__(self, workers: BoundedWorkers, name: str, what: str) -> None:
        self.workers = workers
        self.prefix = f"parley_{name}"
        self.what = what

    def collect(self) -> Iterator[Metric]:
        w, p, what = self.workers, self.prefix, self.what
        yield GaugeMetricFamily(f"{p}_limit", f"{what} allowed at once", value=w.limit)
        yield GaugeMetricFamily(f"{p}_active", f"{what} running now", value=w.active)
        yield GaugeMetricFamily(
            f"{p}_peak", f"most {what} that ran at once since start", value=w.peak
        )
        yield GaugeMetricFamily(f"{p}_waiting", f"{what} waiting for a turn", value=w.waiting)
        yield CounterMetricFamily(f"{p}_completed", f"{what} done", value=w.completed)
        yield CounterMetricFamily(
            f"{p}_rejected", f"{what} refused (line full or wait too long)", value=w.rejected
        )
